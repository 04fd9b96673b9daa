#!/bin/bash
# The garment student's fine-tune on the device machine (not shipped: it did not beat the shipped student).
# gpu/garment/ft/ holds the shipped run's checkpoint.pt with its config's data set to gpu/garment/cache.
# Fine-tune the shipped garment student (v4 weights) on the teacher-v4 cache at its final, low learning rate.
export PYTHONPATH=$PWD PYTHONUNBUFFERED=1 OMP_NUM_THREADS=1
mkdir -p /tmp/ft && cp gpu/garment/ft/* /tmp/ft/
timeout 260 python3 -m tryon_desktop.train.cli garment-mask --data gpu/garment/cache --out /tmp/ft --minutes 98.4 \
  --steps 400000 --batch 16 --workers 10 --preview --no-progress > /tmp/ft.log 2>&1
echo rc $?; tail -3 /tmp/ft.log; grep -i resumed /tmp/ft/log.txt
cd /tmp && tar czf $OUT/ft.tgz --exclude='person_masks.npz' ft ft.log; ls -la $OUT
