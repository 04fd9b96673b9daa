"""The live benchmark (tools/bench_gui.py, tryon-desktop --bench) wears the look it is given."""

import re

from tryon_desktop.core.looks import Look, resolve_outfit, resolve_shade


def test_gui_bench_wears_both_effects_and_reports_them(qtbot, tmp_path, capsys):
    from tryon_desktop.ui.app import make_app
    from tryon_desktop.ui.bench import make_bench_clip, run_bench

    clip, _ = make_bench_clip(tmp_path / "clip.mp4", source=None, seconds=1.0)  # the demo photo, moving
    look = Look(lipstick=resolve_shade("Classic Red"), outfit=resolve_outfit("Red"))
    assert run_bench(make_app(), seconds=2.0, clip=str(clip), warmup=0.5, look=look) == 0
    out = capsys.readouterr().out
    lines = {line.split(":", 1)[0].strip(): line.split(":", 1)[1].strip() for line in out.splitlines() if ":" in line}
    assert lines["look"] == "lipstick Classic Red, outfit Red #C0392B"
    stages = lines["engine stages"]
    for stage in ("track", "garment", "outfit.generate", "lipstick.generate", "total"):
        assert f"{stage} " in stages, stages
    m = re.fullmatch(r"face in (\d+), garment in (\d+) of (\d+) frames shown", lines["found"])
    assert m and int(m.group(3)) > 10 and m.group(1) == m.group(2) == m.group(3), lines["found"]
    assert lines["behind"].startswith("frames captured after the one painted: median ")


def test_gui_bench_default_is_the_lipstick_alone(qtbot, tmp_path, capsys):
    from tryon_desktop.ui.app import make_app
    from tryon_desktop.ui.bench import make_bench_clip, run_bench

    clip, _ = make_bench_clip(tmp_path / "clip.mp4", source=None, seconds=1.0)
    assert run_bench(make_app(), seconds=1.0, clip=str(clip), warmup=0.5) == 0
    out = capsys.readouterr().out
    assert "look          : lipstick Classic Red\n" in out and "garment in" not in out
    assert "outfit." not in out and "lipstick.generate" in out
