"""Pack/unpack the lipstick face cache for the device machine (JPEG q97 patches: ~10x smaller)."""
import sys
import cv2
import numpy as np
src, dst = sys.argv[2], sys.argv[3]
z = np.load(src, allow_pickle=False)
d = {k: z[k] for k in z.files}
if sys.argv[1] == "pack":
    enc = [cv2.imencode(".jpg", p, [cv2.IMWRITE_JPEG_QUALITY, int(sys.argv[4]) if len(sys.argv) > 4 else 92])[1].tobytes() for p in d.pop("patches")]
    lens = np.array([len(e) for e in enc], np.int64)
    d["jpeg"] = np.frombuffer(b"".join(enc), np.uint8)
    d["jpeg_len"] = lens
    np.savez_compressed(dst, **d)
else:
    buf, lens = d.pop("jpeg"), d.pop("jpeg_len")
    offs = np.concatenate([[0], np.cumsum(lens)])
    d["patches"] = np.stack([cv2.imdecode(buf[offs[i]:offs[i + 1]], cv2.IMREAD_COLOR) for i in range(len(lens))])
    np.savez(dst, **d)
