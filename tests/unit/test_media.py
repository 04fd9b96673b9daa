import os

import cv2
import numpy as np
import pytest

from tryon_desktop.core.media import (AtomicVideoWriter, atomic_write_bytes, check_output_path, open_video,
                                      read_image, write_image)
from tryon_desktop.errors import InputError, OutputError


def test_zero_byte_and_missing(tmp_path):
    p = tmp_path / "empty.jpg"
    p.write_bytes(b"")
    with pytest.raises(InputError, match="empty"):
        read_image(p)
    with pytest.raises(InputError, match="no such file"):
        read_image(tmp_path / "nope.png")


def test_truncated_and_corrupt(tmp_path, grace_path):
    data = grace_path.read_bytes()
    (tmp_path / "cut.jpg").write_bytes(data[: len(data) // 2])
    with pytest.raises(InputError, match="truncated"):
        read_image(tmp_path / "cut.jpg")
    (tmp_path / "junk.png").write_bytes(os.urandom(5000))
    with pytest.raises(InputError):
        read_image(tmp_path / "junk.png")
    (tmp_path / "fake.jpg").write_bytes(b"hello" * 100 + b"\xff\xd9")
    with pytest.raises(InputError, match="cannot decode"):
        read_image(tmp_path / "fake.jpg")


def test_unsupported_format(tmp_path):
    p = tmp_path / "face.gif"
    p.write_bytes(b"GIF89a" + b"\0" * 100)
    with pytest.raises(InputError, match="unsupported file type"):
        read_image(p)


def test_grayscale_16bit_and_alpha_are_converted(tmp_path, grace):
    gray = cv2.cvtColor(grace, cv2.COLOR_BGR2GRAY)
    cv2.imwrite(str(tmp_path / "g.png"), gray)
    img = read_image(tmp_path / "g.png")
    assert img.bgr.shape == grace.shape and "grayscale" in img.note
    cv2.imwrite(str(tmp_path / "d.png"), grace.astype(np.uint16) * 257)
    img = read_image(tmp_path / "d.png")
    assert img.bgr.dtype == np.uint8 and np.abs(img.bgr.astype(int) - grace).max() <= 1
    rgba = np.dstack([grace, np.full(grace.shape[:2], 128, np.uint8)])
    cv2.imwrite(str(tmp_path / "a.png"), rgba)
    img = read_image(tmp_path / "a.png")
    assert img.alpha is not None and (img.alpha == 128).all()
    write_image(tmp_path / "a_out.png", img.bgr, img.alpha)
    assert cv2.imread(str(tmp_path / "a_out.png"), cv2.IMREAD_UNCHANGED).shape[2] == 4


def test_output_never_overwrites_input(tmp_path, grace_path):
    with pytest.raises(OutputError, match="overwrite the input"):
        check_output_path(grace_path, [grace_path])
    with pytest.raises(OutputError, match="does not exist"):
        check_output_path(tmp_path / "no" / "x.png", [grace_path])


def test_outputs_get_ordinary_permissions(tmp_path):
    atomic_write_bytes(tmp_path / "a.bin", b"x")
    mask = os.umask(0)
    os.umask(mask)
    assert (tmp_path / "a.bin").stat().st_mode & 0o777 == 0o666 & ~mask


def test_atomic_write_leaves_nothing_on_failure(tmp_path, monkeypatch):
    target = tmp_path / "out.png"
    target.write_bytes(b"old")

    def boom(*a, **k):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OutputError, match="disk full"):
        atomic_write_bytes(target, b"new data")
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.png"]


def test_video_round_trip_and_bad_videos(tmp_path, grace):
    w = AtomicVideoWriter(tmp_path / "clip.mp4", 30, (grace.shape[1], grace.shape[0]))
    for _ in range(5):
        w.write(grace)
    assert not (tmp_path / "clip.mp4").exists()  # nothing visible until committed
    w.commit()
    cap, info = open_video(tmp_path / "clip.mp4")
    n = 0
    while cap.read()[0]:
        n += 1
    assert n == 5 and info.width == grace.shape[1]
    (tmp_path / "zero.mp4").write_bytes(b"")
    with pytest.raises(InputError, match="empty"):
        open_video(tmp_path / "zero.mp4")
    (tmp_path / "junk.mp4").write_bytes(os.urandom(20000))
    with pytest.raises(InputError):
        open_video(tmp_path / "junk.mp4")
    w = AtomicVideoWriter(tmp_path / "aborted.mp4", 30, (64, 64))
    w.abort()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["clip.mp4", "junk.mp4", "zero.mp4"]
