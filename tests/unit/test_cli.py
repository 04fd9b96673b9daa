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

    assert bench_main(["--frames", "5", "--warmup", "2", "--sizes", "320x240", "--model", "none", "--json",
                       "--effects", "lipstick"]) == 0
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
    assert bench_main(["--frames", "5", "--warmup", "2", "--sizes", "320x240,256x144", "--model", "none",
                       "--effects", "lipstick"]) == 0
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
    assert code == 2 and "#RRGGBB" in err and len(err.strip().splitlines()) == 1


def test_desktop_version_and_help(capsys):
    from tryon_desktop import __version__
    from tryon_desktop.launcher import main

    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"tryon-desktop {__version__}"
    out = subprocess.run([sys.executable, "-c", "from tryon_desktop.ui.app import parse_args; parse_args(['--help'])"],
                         capture_output=True, text=True, timeout=60, env={**__import__("os").environ,
                                                                          "QT_QPA_PLATFORM": "offscreen"})
    assert "--self-test" in out.stdout and "--version" in out.stdout


# ---------------------------------------------------------------- outfits on the command line

def test_list_outfits_is_the_catalogue_one_swatch_a_line(capsys):
    from tryon_desktop.core.looks import default_outfit_catalogue

    assert render_main(["--list-outfits"]) == 0
    lines = capsys.readouterr().out.splitlines()
    catalogue = default_outfit_catalogue()
    assert len(lines) == len(catalogue)
    for line, sw in zip(lines, catalogue, strict=True):
        assert line.startswith(sw.name + " ") and line.split()[-1] == sw.family, line
        assert (sw.hex or "-") in line
        if sw.is_pattern:
            assert f"{sw.pattern}, scale {sw.scale:g}" in line, line
        else:
            assert "plain colour" in line, line
    by_name = {sw.name: line for line, sw in zip(lines, catalogue, strict=True)}
    assert "#1D2B4F" in by_name["Navy"] and "breton, scale 0.12" in by_name["Breton"]


def _make_fabric(path):
    tile = np.zeros((64, 64, 3), np.uint8)
    tile[:, :32] = (40, 200, 40)
    cv2.imwrite(str(path), tile)
    return path


@pytest.mark.parametrize("args, message", [
    (["--outfit", "Not A Colour"], "unknown outfit 'Not A Colour'"),
    (["--outfit", "#12345"], "unknown outfit"),
    (["--outfit", "Navy", "--outfit-pattern", "zigzag"], "unknown pattern 'zigzag'"),
    (["--outfit-pattern", "stripes", "--outfit-scale", "0"], "scale must be between"),
    (["--outfit-pattern", "stripes", "--outfit-scale", "100"], "scale must be between"),
    (["--outfit", "Breton", "--outfit-scale", "-1"], "scale must be between"),
    (["--outfit-pattern", "{tmp}/missing.png"], "does not exist"),
    (["--outfit-pattern", "{tmp}/notanimage.png"], "cannot read the fabric image"),
    (["--outfit", "Navy", "--outfit-scale", "0.2"], "applies to a pattern"),
    (["--outfit-scale", "0.2"], "needs an outfit"),
    (["--outfit-strength", "0.5"], "needs an outfit"),
    (["--outfit", "Navy", "--outfit-strength", "1.5"], "strength must be between 0 and 1"),
    (["--outfit", "Breton", "--outfit-rotation", "nan"], "--outfit-rotation must be a number"),
    (["--outfit", "Navy", "--shade", "Not A Shade"], "unknown shade"),
])
@pytest.mark.parametrize("kind", ["png", "mp4"])
def test_bad_outfit_values_are_one_line_exit_2_and_write_nothing(tmp_path, grace, capsys, args, message, kind):
    (tmp_path / "notanimage.png").write_text("not an image")
    if kind == "png":
        src = tmp_path / "in.png"
        cv2.imwrite(str(src), grace)
    else:
        src = tmp_path / "in.mp4"
        w = cv2.VideoWriter(str(src), cv2.VideoWriter_fourcc(*"mp4v"), 30, (grace.shape[1], grace.shape[0]))
        for _ in range(3):
            w.write(grace)
        w.release()
    before = sorted(p.name for p in tmp_path.iterdir())
    code, stdout, err = _run([str(src), "-o", str(tmp_path / f"o.{kind}"),
                              *(a.format(tmp=tmp_path) for a in args)], capsys)
    lines = [line for line in err.splitlines() if line.strip()]
    assert code == 2, (code, err)
    assert len(lines) == 1 and lines[0].startswith("tryon-render: error: ") and message in lines[0], err
    assert "Traceback" not in err and stdout == ""
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # no output, no temporary file


def test_bad_outfit_number_is_a_usage_error(tmp_path, capsys):
    with pytest.raises(SystemExit) as exc:
        render_main(["-o", str(tmp_path / "o.png"), "--outfit-pattern", "stripes", "--outfit-scale", "big"])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "--outfit-scale" in err and "--help" in err


def _jacket(img):
    """The demo photo's jacket: the bottom fifth (grace hopper's dark jacket fills it), as float BGR."""
    return img[int(img.shape[0] * 0.8):].astype(np.float64)


@needs_garment_model
def test_render_outfit_by_catalogue_name_and_pattern(tmp_path, grace, capsys):
    out = tmp_path / "red.png"
    code, stdout, err = _run(["-o", str(out), "--shade", "none", "--outfit", "red", "--model", "none"], capsys)
    assert code == 0, err
    plain = _jacket(cv2.imread(str(out)))
    assert (plain[..., 2] - plain[..., 0]).mean() > 30, "the catalogue's Red did not turn the jacket red"
    assert plain.mean(2).mean(1).std() < 25  # a plain colour: no bands from top to bottom

    # a pattern with its scale: stripes across the body; turned 90 degrees they run down it
    profiles = {}
    for rot in ("0", "90"):
        out = tmp_path / f"stripes{rot}.png"
        code, stdout, err = _run(["-o", str(out), "--shade", "none", "--outfit", "Red", "--outfit-pattern", "stripes",
                                  "--outfit-scale", "0.2", "--outfit-rotation", rot, "--model", "none"], capsys)
        assert code == 0, err
        y = _jacket(cv2.imread(str(out))).mean(2)
        profiles[rot] = (y.mean(1).std(), y.mean(0).std())  # (row-to-row, column-to-column) variation
    assert profiles["0"][0] > 2 * profiles["0"][1] and profiles["0"][0] > 30, profiles
    assert profiles["90"][1] > 2 * profiles["90"][0] and profiles["90"][1] > 30, profiles

    # a fabric image file as the pattern (green and black halves) turns the jacket green
    out = tmp_path / "fabric.png"
    code, stdout, err = _run(["-o", str(out), "--shade", "none", "--outfit-pattern", str(_make_fabric(tmp_path / "f.png")),
                              "--outfit-scale", "0.3", "--model", "none"], capsys)
    assert code == 0, err
    j = _jacket(cv2.imread(str(out)))
    g = _jacket(grace)
    assert (j[..., 1] - j[..., 2]).mean() > (g[..., 1] - g[..., 2]).mean() + 20


@needs_garment_model
def test_render_video_applies_the_outfit_to_every_frame(tmp_path, grace, capsys):
    src = tmp_path / "in.mp4"
    w = cv2.VideoWriter(str(src), cv2.VideoWriter_fourcc(*"mp4v"), 30, (grace.shape[1], grace.shape[0]))
    for i in range(6):
        w.write(np.roll(grace, i, axis=1))
    w.release()
    out = tmp_path / "out.mp4"
    code, stdout, err = _run([str(src), "-o", str(out), "--shade", "none", "--outfit", "Red", "--model", "none",
                              "--progress"], capsys)
    assert code == 0, err
    assert "6 frames, garment found in 6" in stdout and "outfit by" in stdout
    assert "rendering in.mp4" in err and "6/6" in err  # the progress bar
    cap = cv2.VideoCapture(str(out))
    n = 0
    while True:
        ok, f = cap.read()
        if not ok:
            break
        n += 1
        j = _jacket(f)
        assert (j[..., 2] - j[..., 0]).mean() > 30, f"frame {n}: the jacket is not red"
    assert n == 6

    # the same with a pattern: the stripes are there in the video too
    out = tmp_path / "breton.mp4"
    code, stdout, err = _run([str(src), "-o", str(out), "--shade", "none", "--outfit", "Breton", "--model", "none"],
                             capsys)
    assert code == 0, err
    ok, f = cv2.VideoCapture(str(out)).read()
    y = _jacket(f).mean(2)
    assert ok and y.mean(1).std() > 30  # Breton: bands across the body


# ---------------------------------------------------------------- tryon-bench with outfits

def test_fit_frame_frames_a_portrait_clip_like_a_webcam():
    from tryon_desktop.cli import fit_frame

    tall = np.zeros((400, 200, 3), np.uint8)
    tall[:, :, 2] = 200
    tall[50:250, :, 1] = np.arange(200, dtype=np.uint8)[:, None]  # the square kept: a quarter way down
    out = fit_frame(tall, 320, 200)
    assert out.shape == (200, 320, 3)
    assert (out[:, 62:258, 2] > 190).all()  # the square, 200 px, centred and not stretched
    assert abs(float(out[5, 160, 1]) - 5) < 4 and abs(float(out[195, 160, 1]) - 195) < 4
    wide = np.full((100, 400, 3), 9, np.uint8)
    assert fit_frame(wide, 320, 200).shape == (200, 320, 3)
    same = fit_frame(np.full((100, 160, 3), 7, np.uint8), 320, 200)
    assert same.shape == (200, 320, 3) and (same == 7).all()


def test_bench_measures_lipstick_outfit_and_both_side_by_side(capsys):
    import re

    argv = ["--frames", "4", "--warmup", "1", "--sizes", "320x240", "--model", "none", "--outfit-model", "none"]
    assert bench_main([*argv, "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["effects"] == ["lipstick", "outfit", "both"]
    assert report["shade"] == "Classic Red" and report["outfit"]["name"] == "Navy"
    runs = {r["effects"]: r for r in report["runs"]}
    assert list(runs) == ["lipstick", "outfit", "both"] and len(report["runs"]) == 3
    for name, run in runs.items():
        assert run["size"] == "320x240" and run["frames"] == 4 and run["frames_with_face"] == 4
        stages = run["stages_ms"]
        _sane_stages({k: (stages[k]["median"], stages[k]["p95"]) for k in STAGE_NAMES})
        assert run["fps"] * stages["total"]["median"] / 1000.0 <= 2.0
        kinds = {"lipstick": {"lipstick"}, "outfit": {"outfit"}, "both": {"outfit", "lipstick"}}[name]
        assert set(run["effect_stages_ms"]) == kinds
        assert ("garment" in stages) == (name != "lipstick")
        assert (run["frames_with_garment"] is None) == (name == "lipstick")
        for kind in kinds:
            assert set(run["effect_stages_ms"][kind]) == {"align", "generate", "blend"}
    if GARMENT_MODEL.exists():  # the demo photo's jacket is found in every frame
        assert runs["outfit"]["frames_with_garment"] == 4 and runs["both"]["frames_with_garment"] == 4
        assert runs["outfit"]["outfit_status"] == {} and runs["outfit"]["outfit_renderer"].startswith("reference")

    # the table: a column per effect set, a row per stage and effect
    assert bench_main(argv) == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert re.fullmatch(r"320x240  clip: synthetic .*  frames: 4 each, lipstick \| outfit \| both alternated frame "
                        r"by frame", out[0]), out[0]
    assert "lipstick Classic Red" in out[1] and "outfit Navy #1D2B4F" in out[1]
    assert out[2].split()[-3:] == ["lipstick", "outfit", "both"]
    rows = {line.split()[0]: line for line in out[3:]}
    for row in ("track", "garment", "outfit.align", "outfit.generate", "outfit.blend", "lipstick.align",
                "lipstick.generate", "lipstick.blend", "total"):
        assert row in rows, out
    cells = re.findall(r"(-|[\d.]+ / [\d.]+)", rows["outfit.generate"])
    assert len(cells) == 3 and cells[0] == "-" and cells[1] != "-" and cells[2] != "-", rows["outfit.generate"]
    cells = re.findall(r"(-|[\d.]+ / [\d.]+)", rows["lipstick.align"])
    assert cells[0] != "-" and cells[1] == "-" and cells[2] != "-"
    assert rows["face"].split()[-3:] == ["4/4"] * 3
    assert not any(line.strip().startswith("goal") for line in out)  # the goal is about 1280x720


def test_bench_reports_the_outfit_status_when_no_garment_is_found(tmp_path, capsys):
    wall = tmp_path / "wall.mp4"
    w = cv2.VideoWriter(str(wall), cv2.VideoWriter_fourcc(*"mp4v"), 30, (320, 240))
    for i in range(8):
        w.write(np.full((240, 320, 3), 90 + i, np.uint8))
    w.release()
    argv = ["--frames", "3", "--warmup", "1", "--sizes", "320x240", "--model", "none", "--outfit-model", "none",
            "--video", str(wall), "--effects", "outfit"]
    assert bench_main([*argv, "--json"]) == 0
    run = json.loads(capsys.readouterr().out)["runs"][0]
    assert run["effects"] == "outfit" and run["frames_with_garment"] == 0 and run["clip"] == "wall.mp4"
    assert sum(run["outfit_status"].values()) == 3
    assert bench_main(argv) == 0
    out = capsys.readouterr().out
    assert "garment in 0" in out and "in 3 of 3 frames" in out and "outfit: " in out


@pytest.mark.parametrize("args, message", [
    (["--effects", "lipstick,hat"], "bad --effects"),
    (["--outfit", "Not A Colour"], "unknown outfit"),
    (["--outfit-pattern", "zigzag"], "unknown pattern"),
    (["--outfit-pattern", "stripes", "--outfit-scale", "0"], "scale must be between"),
    (["--shade", "none"], "--shade none"),
    (["--sizes", "big"], "bad size"),
])
def test_bench_bad_values_exit_2(capsys, args, message):
    assert bench_main(["--frames", "1", "--warmup", "0", "--sizes", "64x64", *args]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and message in err, err
