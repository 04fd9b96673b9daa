"""Hand-made reference garment masks: load the polygon files in eval_refs/garment and rasterise them.

See eval_refs/garment/README.md for the format. Plain numpy + OpenCV, no Qt, no torch.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

REFS_DIR = Path(__file__).resolve().parent / "eval_refs" / "garment"
LABELS = {"bg": 0, "garment": 1, "face": 2, "hair": 3, "neck": 4, "arm": 5, "other": 6}
LABEL_NAMES = {v: k for k, v in LABELS.items()}


@dataclass
class RefMask:
    id: str
    source: str
    frame: int | None
    size: tuple[int, int]
    real: bool
    still: bool
    notes: str
    polygons: list[dict]

    def labels(self) -> np.ndarray:
        """(H, W) uint8 label map, polygons painted in order."""
        w, h = self.size
        out = np.zeros((h, w), np.uint8)
        for poly in self.polygons:
            pts = np.round(np.asarray(poly["points"], np.float64)).astype(np.int32)
            if len(pts) >= 3:
                cv2.fillPoly(out, [pts.reshape(-1, 1, 2)], int(LABELS[poly["label"]]), lineType=cv2.LINE_8)
        return out


def load_refs(folder: str | Path | None = None) -> list[RefMask]:
    refs: list[RefMask] = []
    for path in sorted(Path(folder or REFS_DIR).glob("*.json")):
        for e in json.loads(path.read_text(encoding="utf-8")):
            for poly in e["polygons"]:
                if poly["label"] not in LABELS:
                    raise ValueError(f"{path.name}: {e['id']}: unknown label {poly['label']!r}")
            refs.append(RefMask(id=e["id"], source=e["source"], frame=e.get("frame"),
                                size=(int(e["size"][0]), int(e["size"][1])), real=bool(e.get("real", True)),
                                still=bool(e.get("still", False)), notes=e.get("notes", ""),
                                polygons=e["polygons"]))
    return refs


def read_frame(data_root: str | Path, source: str, frame: int | None) -> np.ndarray | None:
    """The frame a reference was drawn on (BGR uint8), or None if the file is missing."""
    path = Path(data_root) / source
    if not path.exists():
        return None
    if frame is None:
        return cv2.imread(str(path), cv2.IMREAD_COLOR)
    cap = cv2.VideoCapture(str(path))
    try:
        img = None
        for _ in range(int(frame) + 1):
            ok, img = cap.read()
            if not ok:
                return None
        return img
    finally:
        cap.release()


PALETTE = {1: (0, 200, 0), 2: (0, 0, 255), 3: (255, 0, 255), 4: (0, 200, 255), 5: (255, 160, 0), 6: (255, 255, 0)}


def overlay(image: np.ndarray, labels: np.ndarray, alpha: float = 0.45, grid: int = 0) -> np.ndarray:
    """The frame with each label tinted and outlined (for looking at a mask), optionally a pixel grid."""
    out = image.copy()
    for lab, colour in PALETTE.items():
        m = labels == lab
        if m.any():
            out[m] = (out[m] * (1 - alpha) + np.array(colour) * alpha).astype(np.uint8)
            cnts, _ = cv2.findContours(m.astype(np.uint8), cv2.RETR_LIST, cv2.CHAIN_APPROX_SIMPLE)
            cv2.drawContours(out, cnts, -1, colour, 1)
    if grid:
        h, w = labels.shape
        for x in range(0, w, grid):
            cv2.line(out, (x, 0), (x, h - 1), (255, 255, 255), 1)
            cv2.putText(out, str(x), (x + 2, 12), cv2.FONT_HERSHEY_PLAIN, 0.8, (255, 255, 255), 1)
        for y in range(0, h, grid):
            cv2.line(out, (0, y), (w - 1, y), (255, 255, 255), 1)
            cv2.putText(out, str(y), (2, y + 12), cv2.FONT_HERSHEY_PLAIN, 0.8, (255, 255, 255), 1)
    return out
