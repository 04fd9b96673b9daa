#!/bin/bash
# Issue 9 on the device machine: the garment student with the face prior (a 4th input: the faces the app's
# tracker finds, vision.garment_mask.face_prior), started from the shipped student's weights (its stem
# widened with a zero-weighted channel), and beside it a control run with the same recipe and no prior, so
# the prior's effect is told apart from the extra training.
# The ignored gpu/garment/ folder travels with the tree: cache/ (teacher v4, JPEG q82), person_masks.npz and
# faces.json (both computed here: the device has no mediapipe), ft/checkpoint.pt (the shipped run).
# Usage (device): bash tools/device/train_garment_prior.sh MINUTES ; results under $OUT
set -u
M=${1:-8}
export PYTHONPATH=$PWD PYTHONUNBUFFERED=1 OMP_NUM_THREADS=1
nvidia-smi -L; python3 -c "import torch, cv2, numpy; print(torch.__version__, torch.cuda.is_available(), cv2.__version__, numpy.__version__)"
for r in prior control; do mkdir -p /tmp/r/$r && cp gpu/garment/person_masks.npz /tmp/r/$r/; done
cp gpu/garment/faces.json /tmp/r/prior/
common="--data gpu/garment/cache --init gpu/garment/ft/checkpoint.pt --minutes $M --steps 400000 --batch 32 --lr 0.001 --workers 7 --preview --no-progress"
timeout $((M * 60 + 150)) python3 -m tryon_desktop.train.cli garment-mask --out /tmp/r/prior --prior $common > /tmp/r/prior.log 2>&1 &
P1=$!
timeout $((M * 60 + 150)) python3 -m tryon_desktop.train.cli garment-mask --out /tmp/r/control $common > /tmp/r/control.log 2>&1 &
P2=$!
while kill -0 $P1 2>/dev/null || kill -0 $P2 2>/dev/null; do sleep 60; nvidia-smi --query-gpu=utilization.gpu,memory.used --format=csv,noheader; tail -n 1 /tmp/r/prior.log; tail -n 1 /tmp/r/control.log; done
wait $P1; echo "prior rc $?"; wait $P2; echo "control rc $?"
grep -E "weights from|face prior|val step|finished" /tmp/r/prior.log | tail -6; grep -E "weights from|val step|finished" /tmp/r/control.log | tail -4
cd /tmp/r
tar czf $OUT/garment_prior.tgz --exclude='person_masks.npz' prior prior.log control control.log
ls -la $OUT
