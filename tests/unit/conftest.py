from pathlib import Path

import cv2
import numpy as np
import pytest


@pytest.fixture(scope="session")
def grace_path() -> Path:
    from tryon_desktop.core.media import demo_photo_path

    return demo_photo_path()


@pytest.fixture(scope="session")
def grace(grace_path) -> np.ndarray:
    return cv2.imread(str(grace_path))


@pytest.fixture(scope="session")
def grace_face(grace_path) -> tuple[np.ndarray, np.ndarray]:
    """The demo photo and its face's landmarks (float64 frame pixels), tracked once per session."""
    from tryon_desktop.vision.face_tracker import FaceTracker

    img = cv2.imread(str(grace_path))
    with FaceTracker(max_faces=1, video=False) as tr:
        lm = tr.track(img)[0].landmarks.astype(np.float64)
    return img, lm


@pytest.fixture(scope="session")
def astronaut() -> np.ndarray:
    """skimage's astronaut: a smiling face with teeth showing (the open-mouth case)."""
    data = pytest.importorskip("skimage.data", reason="scikit-image (dev extra) ships the astronaut photo")
    return cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR)


@pytest.fixture(scope="session")
def still_engine():
    from tryon_desktop.engine import TryOnEngine

    engine = TryOnEngine(model=None, video=False)
    yield engine
    engine.close()


@pytest.fixture(scope="session")
def still_gan():
    """The shipped lipstick generator without temporal memory (each call stands alone); skipped when absent."""
    from tryon_desktop.engine import DEFAULT_LIPSTICK_MANIFEST

    if not DEFAULT_LIPSTICK_MANIFEST.exists():
        pytest.skip("no lipstick generator shipped")
    from tryon_desktop.vision.lip_generator import GanLipstick

    return GanLipstick(DEFAULT_LIPSTICK_MANIFEST, providers=["CPUExecutionProvider"], temporal=0.0)


@pytest.fixture(scope="session")
def open_mouth():
    """f(landmarks, gap=0.12): the face with its lower lip pulled down by gap x the mouth's width."""
    from tryon_desktop.core.masks import LIPS_INNER, LIPS_OUTER, mouth_width

    def opened(lm, gap=0.12):
        out = lm.copy()
        out[list(LIPS_INNER[1:10]) + list(LIPS_OUTER[1:10]), 1] += gap * mouth_width(lm)
        return out

    return opened


def _ellipse_garment_scene(garment_bgr: tuple[int, int, int]):
    """(truth, frame, scene): a garment of colour `garment_bgr` (an ellipse) on a light wall in a 640x360 frame,
    its mask (the network's 128x72) eroded 3 px inside its real edge."""
    from tryon_desktop.effects.base import Scene

    truth = np.zeros((360, 640), np.float32)
    cv2.ellipse(truth, (320, 300), (150, 170), 0, 0, 360, 1.0, -1)
    rng = np.random.default_rng(1)
    img = truth[..., None] * np.float32(garment_bgr) + (1 - truth[..., None]) * np.float32((200, 205, 210))
    frame = np.clip(img + rng.normal(0, 2, img.shape) + 0.5, 0, 255).astype(np.uint8)
    small = cv2.resize(cv2.erode(truth, np.ones((7, 7), np.uint8)), (128, 72), interpolation=cv2.INTER_AREA)
    return truth, frame, Scene(frame=frame, timestamp=0.0, faces=[], garment=small)


@pytest.fixture
def garment_scene():
    """`_ellipse_garment_scene`: the garment-on-a-wall scene the edge matte's and the rim fill's tests share."""
    return _ellipse_garment_scene
