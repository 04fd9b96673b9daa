"""How much of a garment's print the print remover (render/outfit.py: print_free_luma) leaves: body photos
whose garment holds a two-tone print, each through a photo engine (the careful garment mask), then the
print-free luma against the garment's own.

Per photo: the print found (how sure, the tones' ratio) and the tones' gap left, in percent of the gap
before. The gap is measured where the print is: the garment's pixels are split into the print's two tones
(by the remover's own split of the log luminance over its print-free base), each tone's mean log luminance
is taken locally (a blur over about two stripes), and the gap is the size of the light tone's local mean
minus the dark one's, the median over the garment where both tones lie near. 0% is plain; 100% is the print
as it was. Also the fine variation left: the spread of the log luminance less its blur at the print's
scale (stripes, and the lines along their edges), in percent of the garment's own (texture and seams keep
some).

    python tools/print_residue.py [--data ../shared/data] [IMAGE ...]

--sheet OUT.jpg: instead, the README's close-ups: three of the photos made red (#C81828), each cropped to its
garment: the photo, the print remover off (`render.outfit.PRINT_REMOVAL`), on.

Without images: the dev photos and the train photos (bodies/train) on which the remover is sure of a print
(amount >= 0.5). Run it with PYTHONPATH at another checkout to measure that code on the same photos.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

# the train photos on which the remover was sure of a print (amount >= 0.5) at stop 32, and the dev one
DEFAULT = ["bodies/dev/fitdit/0279.jpg", "bodies/train/fitdit/0.jpg", "bodies/train/fitdit/0179.jpg",
           "bodies/train/fitdit/0303.jpg", "bodies/train/econ/cloth_6465c18f.jpg", "bodies/train/ootd/052767_0.jpg",
           "bodies/train/catvton/baumu30483223c3_1719437121402_2-0._QL90_UX564_V12524t6_.jpg"]


def garment(engine, img: np.ndarray):
    """(region copy, the renderer's alpha) of the photo's garment as the outfit effect measures it, or None."""
    from tryon_desktop.core.looks import Look, OutfitSwatch

    eff = engine.effects["outfit"]
    got: list = []
    prepare = eff.prepare

    def spy(frame, scene, look):
        items = prepare(frame, scene, look)
        if items:
            it = items[0]
            got.append((it.region.copy(), it.alpha if it.shade_alpha is None else it.shade_alpha))
        return items

    eff.prepare = spy
    try:
        engine.process(img, Look(outfit=OutfitSwatch(name="navy", rgb=(31, 58, 147))))
    finally:
        eff.prepare = prepare
    return got[0] if got else None


def tone_gap(y8: np.ndarray, tone: np.ndarray, core: np.ndarray, width: float) -> float | None:
    """Median over the garment of the size of the light tone's local mean log luminance minus the dark
    tone's (either way round: one gain per tone can leave dark stripes lighter than light ones in one place
    and darker in another, which a signed median would average away)."""
    from tryon_desktop.render.outfit import _LOG_DEC

    ly = cv2.LUT(y8, _LOG_DEC.reshape(256, 1))
    sig = max(1.0, width)
    means, counts = [], []
    for sel in (tone & core, ~tone & core):
        m = sel.astype(np.float32)
        n = cv2.GaussianBlur(m, (0, 0), sig)
        means.append(cv2.GaussianBlur(ly * m, (0, 0), sig) / np.maximum(n, 1e-4))
        counts.append(n)
    both = core & (counts[0] > 0.15) & (counts[1] > 0.15)
    if both.sum() < 100:
        return None
    return float(np.median(np.abs(means[0] - means[1])[both]))


def fine_energy(y8: np.ndarray, core: np.ndarray, width: float) -> float:
    """Standard deviation over the garment of the log luminance less its blur at the print's scale: the
    print's stripes and its edges' lines, with the folds (broader) left out."""
    from tryon_desktop.render.outfit import _LOG_DEC

    ly = cv2.LUT(y8, _LOG_DEC.reshape(256, 1))
    m = core.astype(np.float32)
    blur = cv2.GaussianBlur(ly * m, (0, 0), width) / np.maximum(cv2.GaussianBlur(m, (0, 0), width), 1e-4)
    return float(np.std((ly - blur)[cv2.erode(core.view(np.uint8), np.ones((9, 9), np.uint8)) > 0]))


SHEET = ["bodies/dev/fitdit/0279.jpg", "bodies/train/fitdit/0179.jpg", "bodies/train/ootd/052767_0.jpg"]


def sheet(data: Path, out: Path, height: int = 420) -> None:
    """Rows: a photo's garment crop as it is, made red with the print remover off, and on."""
    import tryon_desktop.render.outfit as RO
    from tryon_desktop.core.looks import Look, OutfitSwatch
    from tryon_desktop.engine import TryOnEngine

    look = Look(outfit=OutfitSwatch(name="red", rgb=(200, 24, 40)))
    rows = []
    for rel in SHEET:
        img = cv2.imread(str(data / rel))
        if img is None:
            print(f"print_residue: {rel} not found: left out of the sheet", file=sys.stderr)
            continue
        cells = [img]
        for on in (False, True):
            RO.PRINT_REMOVAL = on
            with TryOnEngine(video=False) as engine:
                res = engine.process(img, look, garment_mask=True)
            cells.append(res.frame)
        RO.PRINT_REMOVAL = True
        m = cv2.resize(res.garment_mask, (img.shape[1], img.shape[0])) > 0.5
        ys, xs = np.nonzero(m)
        y0, y1, x0, x1 = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
        k = height / (y1 - y0)
        cells = [cv2.resize(c[y0:y1, x0:x1], None, fx=k, fy=k, interpolation=cv2.INTER_AREA) for c in cells]
        for c, label in zip(cells, ("photo", "print remover off", "on"), strict=True):
            cv2.putText(c, label, (8, 24), cv2.FONT_HERSHEY_SIMPLEX, 0.7, (255, 255, 255), 3, cv2.LINE_AA)
            cv2.putText(c, label, (8, 24), cv2.FONT_HERSHEY_SIMPLEX, 0.7, (0, 0, 0), 1, cv2.LINE_AA)
        rows.append(np.hstack(cells))
    if not rows:
        return
    w = max(r.shape[1] for r in rows)
    rows = [cv2.copyMakeBorder(r, 0, 4, 0, w - r.shape[1], cv2.BORDER_CONSTANT, value=(40, 40, 40)) for r in rows]
    cv2.imwrite(str(out), np.vstack(rows), [cv2.IMWRITE_JPEG_QUALITY, 85])
    print(f"wrote {out}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("images", nargs="*")
    ap.add_argument("--data", default=str(ROOT.parent / "shared" / "data"))
    ap.add_argument("--sheet", help="write the before/after close-ups here instead")
    a = ap.parse_args(argv)
    if a.sheet:
        sheet(Path(a.data), Path(a.sheet))
        return 0
    import tryon_desktop.render.outfit as RO
    from tryon_desktop.engine import TryOnEngine

    paths = [Path(p) for p in a.images] or [Path(a.data) / p for p in DEFAULT]
    engine = TryOnEngine(video=False)
    print(f"print remover of {Path(RO.__file__).resolve().parents[2]}")
    print(f"{'photo':58s} {'sure':>5s} {'ratio':>6s} {'gap before':>11s} {'left':>6s} {'fine left':>10s}")
    lefts, fines = [], []
    for path in paths:
        img = cv2.imread(str(path))
        got = garment(engine, img) if img is not None else None
        name = str(path)[-58:]
        if got is None:
            print(f"{name:58s} no garment")
            continue
        region, alpha = got
        y8 = RO.luma8(region)
        sm = RO._small_copy(y8, alpha)
        found = RO._find(y8, alpha, sm, None, RO._Scratch()) if sm is not None else None
        if found is None:
            print(f"{name:58s} no print found")
            continue
        p, d = found[0], found[2]
        tone = d > np.rint(RO._FIX * np.log(p.mid))
        core = alpha > 0.5
        width = p.frac * max(y8.shape)  # about a stripe or two: the remover's blur is 4-10% of the box
        out = RO.print_free_luma(region, alpha, y8)
        before, after = tone_gap(y8, tone, core, width), tone_gap(out, tone, core, width)
        fines.append(100.0 * fine_energy(out, core, 0.5 * width) / max(fine_energy(y8, core, 0.5 * width), 1e-6))
        if before is None or after is None or before <= 0:
            print(f"{name:58s} {p.amount:5.2f} {p.ratio:6.1f} tones not measurable")
            continue
        lefts.append(100.0 * after / before)
        print(f"{name:58s} {p.amount:5.2f} {p.ratio:6.1f} {before:11.2f} {lefts[-1]:5.0f}% {fines[-1]:9.0f}%")
    if lefts:
        print(f"over {len(lefts)} photos: gap left median {np.median(lefts):.0f}% (mean {np.mean(lefts):.0f}%), "
              f"fine variation left median {np.median(fines):.0f}% (mean {np.mean(fines):.0f}%)")
    engine.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
