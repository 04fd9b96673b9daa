#!/bin/bash
# How this stop's GPU run was made (issue 12's lipstick generator v1.5432, and the garment student that was
# not shipped). The device machine gets the working tree plus an ignored gpu/ folder holding:
#   gpu/pack.py (this folder's pack_face_cache.py), gpu/faces_packed.npz (the lipstick face cache packed with
#   `python tools/device/pack_face_cache.py pack FACES.npz gpu/faces_packed.npz 92`), gpu/garment/cache (the
#   teacher's cache, JPEG q82) and gpu/garment/person_masks.npz; 64 MiB in all travel.
# Device run: the lipstick GAN and the garment-mask student train side by side on one GPU.
# Usage (device): bash gpu/run_all.sh MINUTES ; results under $OUT
set -u
M=${1:-7.5}
export PYTHONPATH=$PWD PYTHONUNBUFFERED=1 OMP_NUM_THREADS=1
nvidia-smi -L; python3 -c "import torch, cv2, numpy; print(torch.__version__, torch.cuda.is_available(), cv2.__version__, numpy.__version__)"
python3 gpu/pack.py unpack gpu/faces_packed.npz gpu/faces.npz || exit 1
mkdir -p /tmp/r
mkdir -p /tmp/r/garment && cp gpu/garment/person_masks.npz /tmp/r/garment/
timeout 500 python3 -m tryon_desktop.train.cli lipstick --data ../shared/data/faces/train --out /tmp/r/lip --cache gpu/faces.npz \
  --steps 400000 --minutes "$M" --workers 8 --no-progress > /tmp/r/lip.log 2>&1 &
P1=$!
timeout 500 python3 -m tryon_desktop.train.cli garment-mask --data gpu/garment/cache --out /tmp/r/garment --minutes "$M" \
  --steps 400000 --batch 32 --workers 6 --preview --no-progress > /tmp/r/garment.log 2>&1 &
P2=$!
while kill -0 $P1 2>/dev/null || kill -0 $P2 2>/dev/null; do sleep 60; nvidia-smi --query-gpu=utilization.gpu,memory.used --format=csv,noheader; tail -n 1 /tmp/r/lip.log; tail -n 1 /tmp/r/garment.log; done
wait $P1; echo "lip rc $?"; wait $P2; echo "garment rc $?"
tail -5 /tmp/r/lip.log; tail -5 /tmp/r/garment.log
cd /tmp/r
tar czf $OUT/lip.tgz --exclude='*.npz' lip lip.log
tar czf $OUT/garment.tgz --exclude='person_masks.npz' garment garment.log
ls -la $OUT
