"""A person leaving the camera and coming back (issue 11's bad input): while nobody is in view the outfit
effect says "no garment found" and the frame passes through untouched; when they come back the outfit is
on them again within a frame, with no memory of the empty frames in the way."""

import numpy as np

from tryon_desktop.core.looks import Look, resolve_outfit, resolve_shade
from tryon_desktop.core.media import demo_photo_path, read_image
from tryon_desktop.engine import TryOnEngine


def test_a_person_leaving_and_coming_back():
    img = read_image(demo_photo_path()).bgr
    blank = np.full_like(img, 128)
    look = Look(lipstick=resolve_shade("Classic Red"), outfit=resolve_outfit("Navy"))
    changed = {}
    with TryOnEngine(video=True) as eng:
        t = 0.0
        for phase, frame, n in (("in", img, 4), ("out", blank, 5), ("back", img, 2)):
            for _ in range(n):
                t += 1 / 30
                r = eng.process(frame, look, timestamp=t)
                changed.setdefault(phase, []).append((int((r.frame != frame).any(axis=2).sum()), dict(r.status)))
    assert all(n > 50_000 and "outfit" not in st for n, st in changed["in"])
    assert all(n == 0 and st.get("outfit") == "no garment found" for n, st in changed["out"])
    first_back = changed["back"][0]
    assert first_back[0] > 0.95 * changed["in"][-1][0] and "outfit" not in first_back[1]
