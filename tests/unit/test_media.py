import os
import subprocess
import sys

import cv2
import numpy as np
import pytest

from tryon_desktop.core.media import (AtomicVideoWriter, atomic_write_bytes, check_output_path, kind_of,
                                      open_video, read_image, write_image)
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
    with pytest.raises(InputError, match="fake.jpg is not an image"):
        read_image(tmp_path / "fake.jpg")
    # a damaged JPEG (right header, garbage scan data, an end marker) is corrupt, not "not an image"
    data = grace_path.read_bytes()
    (tmp_path / "damaged.jpg").write_bytes(data[:200] + b"\0" * 3000 + b"\xff\xd9")
    with pytest.raises(InputError, match="damaged.jpg"):
        read_image(tmp_path / "damaged.jpg")


def test_photos_are_judged_by_content_not_by_extension(tmp_path, grace_path, grace):
    """Phone "motion photos" (a video after the JPEG's end marker) and a JPEG saved under a .png name are
    valid photos; a text file named .jpg is "not an image", never "truncated"."""
    jpeg = grace_path.read_bytes()
    trailer = b"\0\0\0\x18ftypmp42" + os.urandom(200_000)  # what a motion photo appends
    (tmp_path / "motion.jpg").write_bytes(jpeg + trailer)
    (tmp_path / "jpeg.png").write_bytes(jpeg)
    ok, png = cv2.imencode(".png", grace)
    (tmp_path / "png.jpg").write_bytes(png.tobytes() + b"trailing bytes after IEND")
    for name in ("motion.jpg", "jpeg.png", "png.jpg"):
        img = read_image(tmp_path / name)
        assert img.bgr.shape == grace.shape, name
        assert kind_of(tmp_path / name) == "image"
    (tmp_path / "notes.jpg").write_text("just some text\n" * 40)
    with pytest.raises(InputError, match="notes.jpg is not an image") as exc:
        read_image(tmp_path / "notes.jpg")
    assert "truncated" not in str(exc.value)


def test_truncation_is_found_in_baseline_progressive_and_png(tmp_path, grace):
    ok, prog = cv2.imencode(".jpg", grace, [cv2.IMWRITE_JPEG_PROGRESSIVE, 1])
    ok, png = cv2.imencode(".png", grace)
    cases = {"prog.jpg": prog.tobytes()[:-2000], "cut.png": png.tobytes()[:-5000],
             "header.jpg": prog.tobytes()[:300], "ends_in_ff.jpg": prog.tobytes()[: len(prog) // 2] + b"\xff"}
    for name, data in cases.items():
        (tmp_path / name).write_bytes(data)
        with pytest.raises(InputError, match="truncated"):
            read_image(tmp_path / name)
    (tmp_path / "whole.jpg").write_bytes(prog.tobytes())
    assert read_image(tmp_path / "whole.jpg").bgr.shape == grace.shape


def test_a_truncated_video_says_so_without_ffmpeg_chatter(tmp_path, grace):
    """OpenCV/FFmpeg's own "moov atom not found" must not reach the user's terminal before our message."""
    w = AtomicVideoWriter(tmp_path / "clip.mp4", 10, (grace.shape[1], grace.shape[0]))
    for _ in range(10):
        w.write(grace)
    w.commit()
    data = (tmp_path / "clip.mp4").read_bytes()
    (tmp_path / "cut.mp4").write_bytes(data[: len(data) // 2])
    script = ("import sys\nfrom tryon_desktop.core.media import open_video\nfrom tryon_desktop.errors import InputError\n"
              "try:\n    open_video(sys.argv[1])\nexcept InputError as e:\n    print('ERR', e)\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENCV_FFMPEG_LOGLEVEL", "OPENCV_LOG_LEVEL"))}
    out = subprocess.run([sys.executable, "-c", script, str(tmp_path / "cut.mp4")], capture_output=True, text=True,
                         timeout=120, env=env)
    assert "ERR cannot open video cut.mp4" in out.stdout and "truncated" in out.stdout, out.stdout + out.stderr
    assert out.stderr.strip() == "", out.stderr


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


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX modes")
def test_outputs_get_ordinary_permissions(tmp_path, grace):
    old = os.umask(0o022)
    try:
        atomic_write_bytes(tmp_path / "a.bin", b"x")
        write_image(tmp_path / "b.png", grace)
        w = AtomicVideoWriter(tmp_path / "c.mp4", 10, (64, 48))
        w.write(np.zeros((48, 64, 3), np.uint8))
        w.commit()
    finally:
        os.umask(old)
    for name in ("a.bin", "b.png", "c.mp4"):
        assert (tmp_path / name).stat().st_mode & 0o777 == 0o644, name


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
