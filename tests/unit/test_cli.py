import json
import subprocess
import sys

import cv2
import numpy as np
import pytest

from tryon_desktop.cli import bench_main, render_main


def _run(argv, capsys):
    code = render_main(argv)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_render_demo_photo_compare(tmp_path, capsys):
    out = tmp_path / "ba.png"
    code, stdout, err = _run(["-o", str(out), "--compare", "--model", "none"], capsys)
    assert code == 0, err
    img = cv2.imread(str(out))
    assert img.shape[1] > 2 * 500 and "1 face" in stdout


def test_render_video_keeps_every_frame(tmp_path, grace, capsys):
    src = tmp_path / "in.mp4"
    w = cv2.VideoWriter(str(src), cv2.VideoWriter_fourcc(*"mp4v"), 30, (grace.shape[1], grace.shape[0]))
    for i in range(8):
        w.write(np.roll(grace, i, axis=1))
    w.release()
    out = tmp_path / "out.mp4"
    code, stdout, err = _run([str(src), "-o", str(out), "--shade", "#8C2D4F", "--finish", "gloss", "--model", "none"],
                             capsys)
    assert code == 0, err
    cap = cv2.VideoCapture(str(out))
    n = 0
    while cap.read()[0]:
        n += 1
    assert n == 8 and "face found in 8" in stdout
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


@pytest.mark.parametrize("args, message", [
    (["{tmp}/missing.jpg", "-o", "{tmp}/o.png"], "no such file"),
    (["{tmp}/zero.jpg", "-o", "{tmp}/o.png"], "empty"),
    (["{tmp}/cut.jpg", "-o", "{tmp}/o.png"], "truncated"),
    (["{tmp}/zero.mp4", "-o", "{tmp}/o.mp4"], "empty"),
    (["{tmp}/doc.txt", "-o", "{tmp}/o.png"], "unsupported file type"),
    (["-o", "{tmp}/o.png", "--shade", "Not A Shade"], "unknown shade"),
    (["-o", "{tmp}/o.png", "--shade", "#12345"], "unknown shade"),
    (["-o", "{tmp}/o.gif"], "unsupported file type"),
    (["-o", "{tmp}/o.mp4"], "matching extension"),
    (["-o", "{tmp}/o.png", "--opacity", "3"], "opacity"),
    (["-o", "{tmp}/o.png", "--model", "{tmp}/nomodel.json"], "manifest not found"),
    (["-o", "{tmp}/o.png", "--model", "{tmp}/badhash.json"], "corrupt or altered"),
    (["{tmp}", "-o", "{tmp}/o.png"], "is a folder"),
])
def test_bad_input_gives_one_line_and_nonzero_exit(tmp_path, grace_path, capsys, args, message):
    (tmp_path / "zero.jpg").write_bytes(b"")
    (tmp_path / "zero.mp4").write_bytes(b"")
    data = grace_path.read_bytes()
    (tmp_path / "cut.jpg").write_bytes(data[: len(data) // 3])
    (tmp_path / "doc.txt").write_text("hello")
    (tmp_path / "m.onnx").write_bytes(b"weights")
    (tmp_path / "badhash.json").write_text(json.dumps({"file": "m.onnx", "sha256": "0" * 64, "inputs": {},
                                                       "outputs": {}}))
    argv = [a.format(tmp=tmp_path) for a in args]
    code, stdout, err = _run(argv, capsys)
    assert code != 0
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and message in lines[0], err
    assert not (tmp_path / "o.png").exists() and not (tmp_path / "o.mp4").exists()


@pytest.mark.parametrize("args", [["--opacity", "abc"], ["--finish", "shiny"], ["--max-faces", "0"]])
def test_bad_option_values_are_one_line(tmp_path, capsys, args):
    with pytest.raises(SystemExit) as exc:
        render_main(["-o", str(tmp_path / "o.png"), *args])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "--help" in err, err


def test_input_is_never_overwritten(tmp_path, grace_path, capsys):
    src = tmp_path / "me.jpg"
    src.write_bytes(grace_path.read_bytes())
    code, _, err = _run([str(src), "-o", str(src)], capsys)
    assert code == 1 and "overwrite the input" in err
    assert src.read_bytes() == grace_path.read_bytes()


def test_no_face_writes_the_image_unchanged_and_says_so(tmp_path, capsys):
    src = tmp_path / "wall.png"
    cv2.imwrite(str(src), np.full((200, 300, 3), 90, np.uint8))
    code, _, err = _run([str(src), "-o", str(tmp_path / "o.png"), "--model", "none"], capsys)
    assert code == 3 and "no face" in err
    assert np.array_equal(cv2.imread(str(tmp_path / "o.png")), cv2.imread(str(src)))


def test_cli_in_a_subprocess_prints_no_traceback(tmp_path):
    out = subprocess.run([sys.executable, "-m", "tryon_desktop.cli", str(tmp_path / "x.png"), "-o",
                          str(tmp_path / "y.png")], capture_output=True, text=True, timeout=120)
    assert out.returncode == 1
    assert "Traceback" not in out.stderr and out.stderr.strip().startswith("tryon-render: error:")


STAGE_NAMES = ("track", "align", "generate", "blend", "total")


def _sane_stages(stages):
    """Every median positive, every p95 at least its median, and the total at least any one stage."""
    for k in STAGE_NAMES:
        med, p95 = stages[k]
        assert med > 0 and p95 >= med, (k, med, p95)
    assert all(stages["total"][0] >= stages[k][0] for k in STAGE_NAMES), stages


def test_bench_prints_figures(capsys):
    """Both forms of the report carry sane figures, not just figures: fps above zero and no faster than the
    engine's own time per frame allows, medians positive, p95 >= median, every expected line there."""
    import re

    assert bench_main(["--frames", "5", "--warmup", "2", "--sizes", "320x240", "--model", "none", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["shade"] == "Classic Red" and report["cpu_count"] >= 1 and len(report["runs"]) == 1
    run = report["runs"][0]
    assert run["frames"] == 5 and set(run["stages_ms"]) == set(STAGE_NAMES)
    assert run["size"] == "320x240" and run["frames_with_face"] == 5  # the demo photo has a face throughout
    assert run["renderer"] == "reference" and run["provider"]
    _sane_stages({k: (v["median"], v["p95"]) for k, v in run["stages_ms"].items()})
    assert 0 < run["fps"] < float("inf")
    # n / wall <= 1000 / mean(total) and median(total) <= 2 * mean(total): a frame rate above that is a bug
    assert run["fps"] * run["stages_ms"]["total"]["median"] / 1000.0 <= 2.0
    assert run["peak_rss_mb"] > 0 and run["rss_mb"] > 0

    # the table a person reads
    assert bench_main(["--frames", "5", "--warmup", "2", "--sizes", "320x240,256x144", "--model", "none"]) == 0
    out = capsys.readouterr().out
    blocks = [b for b in out.split("\n\n") if b.strip()]
    assert len(blocks) == 2, out
    for block, size in zip(blocks, ("320x240", "256x144"), strict=True):
        lines = block.strip().splitlines()
        head = re.fullmatch(r"(\d+x\d+)  clip: (.+)  frames: (\d+) \(face in (\d+)\)  renderer: (\w+) on (.+)", lines[0])
        assert head, lines[0]
        assert head.group(1) == size and int(head.group(3)) == 5 and int(head.group(4)) == 5
        assert head.group(5) == "reference"
        assert lines[1].split() == ["stage", "median", "ms", "p95", "ms"]
        rows = {}
        for line in lines[2:2 + len(STAGE_NAMES)]:
            name, med, p95 = line.split()
            rows[name] = (float(med), float(p95))
        assert tuple(rows) == STAGE_NAMES, lines
        _sane_stages(rows)
        tail = re.fullmatch(r"frames/s \(wall\): ([\d.]+)   RSS now (\d+) MB, peak (\d+) MB", lines[-1].strip())
        assert tail, lines[-1]
        fps, rss, peak = float(tail.group(1)), int(tail.group(2)), int(tail.group(3))
        assert fps > 0 and rss > 0 and peak > 0
        assert fps * rows["total"][0] / 1000.0 <= 2.05  # printed to 0.1 fps and 0.01 ms
        assert len(lines) == 2 + len(STAGE_NAMES) + 1, lines


def test_8k_image_is_tracked_on_a_downscaled_copy(tmp_path, grace, capsys):
    face = cv2.resize(grace, (4320 * grace.shape[1] // grace.shape[0], 4320))
    big = np.full((4320, 7680, 3), 120, np.uint8)
    x0 = (7680 - face.shape[1]) // 2
    big[:, x0:x0 + face.shape[1]] = face
    cv2.imwrite(str(tmp_path / "8k.jpg"), big, [cv2.IMWRITE_JPEG_QUALITY, 80])
    code, stdout, err = _run([str(tmp_path / "8k.jpg"), "-o", str(tmp_path / "o.jpg"), "--model", "none"], capsys)
    assert code == 0, err
    out = cv2.imread(str(tmp_path / "o.jpg"))
    assert out.shape[:2] == big.shape[:2] and "1 face" in stdout


GARMENT_MODEL = __import__("tryon_desktop.paths", fromlist=["MODELS_DIR"]).MODELS_DIR / "garment_mask.json"
needs_garment_model = pytest.mark.skipif(not GARMENT_MODEL.exists(), reason="no shipped garment mask model")


@needs_garment_model
def test_render_outfit_recolours_the_jacket_and_show_mask_draws_it(tmp_path, grace, capsys):
    out = tmp_path / "navy.png"
    code, stdout, err = _run(["-o", str(out), "--shade", "none", "--outfit", "#C8102E", "--model", "none"], capsys)
    assert code == 0, err
    img = cv2.imread(str(out))
    h = img.shape[0]
    lower = img[int(h * 0.8):].reshape(-1, 3).astype(int)  # grace hopper's dark jacket fills the bottom
    assert (lower[:, 2] - lower[:, 0]).mean() > 30, "the jacket did not turn red"
    from tryon_desktop.effects.outfit import DEFAULT_OUTFIT_MANIFEST

    assert ("outfit by gan" if DEFAULT_OUTFIT_MANIFEST.exists() else "outfit by reference") in stdout
    ref = tmp_path / "navy_ref.png"
    code, stdout, err = _run(["-o", str(ref), "--shade", "none", "--outfit", "#C8102E", "--model", "none",
                              "--outfit-model", "none"], capsys)
    assert code == 0 and "outfit by reference" in stdout, err
    face = tmp_path / "mask.png"
    code, stdout, err = _run(["-o", str(face), "--shade", "none", "--show-mask", "--model", "none"], capsys)
    assert code == 0, err
    m = cv2.imread(str(face))
    diff = m.astype(int) - grace.astype(int)
    assert diff[int(h * 0.8):, :, 1].mean() > 10  # green over the jacket


def test_render_outfit_bad_colour_is_one_line(tmp_path, capsys):
    code, stdout, err = _run(["-o", str(tmp_path / "o.png"), "--outfit", "navy-ish"], capsys)
    assert code == 1 and "#RRGGBB" in err and len(err.strip().splitlines()) == 1


def test_desktop_version_and_help(capsys):
    from tryon_desktop import __version__
    from tryon_desktop.launcher import main

    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"tryon-desktop {__version__}"
    out = subprocess.run([sys.executable, "-c", "from tryon_desktop.ui.app import parse_args; parse_args(['--help'])"],
                         capture_output=True, text=True, timeout=60, env={**__import__("os").environ,
                                                                          "QT_QPA_PLATFORM": "offscreen"})
    assert "--self-test" in out.stdout and "--version" in out.stdout
