"""tryon-train: `tryon-train lipstick --data DIR --out RUN_DIR`, `tryon-train export RUN_DIR`, and for the
garment mask `tryon-train garment-mask --data CACHE --out RUN_DIR` and `tryon-train export-garment RUN_DIR`,
for the outfit GAN `tryon-train outfit --data CACHE --out RUN_DIR` and `tryon-train export-outfit RUN_DIR`
(those hand over to tryon_desktop.train.garment_* / outfit_*, which have their own options)."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

import numpy as np

from tryon_desktop.errors import TryOnError

DEFAULT_DATA = Path("..") / "shared" / "data" / "faces" / "train"


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="tryon-train", description="Train and export the lipstick generator and the garment mask.")
    sub = p.add_subparsers(dest="cmd", required=True)
    t = sub.add_parser("lipstick", help="train the lipstick GAN (resumes when RUN_DIR holds a checkpoint)")
    t.add_argument("--data", nargs="+", default=[str(DEFAULT_DATA)], help="folder(s) of face photos")
    t.add_argument("--out", required=True, help="run folder: config, checkpoints, samples, loss curves")
    t.add_argument("--cache", help="reuse an .npz face cache (built from the same --data)")
    t.add_argument("--steps", type=int)
    t.add_argument("--batch", type=int)
    t.add_argument("--minutes", type=float, help="stop (and checkpoint) after this much training time")
    t.add_argument("--seed", type=int)
    t.add_argument("--workers", type=int)
    t.add_argument("--smoke", action="store_true", help="a few tiny steps, for tests")
    t.add_argument("--no-progress", action="store_true")
    t.add_argument("--fresh", action="store_true", help="ignore an existing checkpoint in --out")
    e = sub.add_parser("export", help="export a run's generator to ONNX + manifest, with a parity check")
    e.add_argument("run_dir")
    e.add_argument("--out", help="folder for lipstick_generator.onnx/.json (default: RUN_DIR/export)")
    e.add_argument("--raw", action="store_true", help="export the raw weights, not their moving average")
    sub.add_parser("garment-mask", help="train the live garment mask on the teacher's cache (see its --help)")
    sub.add_parser("export-garment", help="export a garment-mask run to ONNX + manifest (see its --help)")
    sub.add_parser("outfit", help="train the outfit GAN on the garment cache (see its --help)")
    sub.add_parser("export-outfit", help="export an outfit-GAN run to ONNX + manifest (see its --help)")
    m = sub.add_parser("metrics", help="copy tryon-eval's results (lipstick, outfit or garment-mask) into a model manifest")
    m.add_argument("manifest")
    m.add_argument("eval_json")
    return p


def attach_metrics(manifest: str | Path, eval_json: str | Path) -> dict:
    from tryon_desktop.errors import InputError
    from tryon_desktop.train.io import atomic_write_text

    try:
        man = json.loads(Path(manifest).read_text(encoding="utf-8"))
        ev = json.loads(Path(eval_json).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise InputError(f"cannot read {exc}") from None
    if "refs" in ev and "per_ref" in ev:  # tryon-eval garment-mask: the student's figures, the export's kept
        old = man.get("metrics") or {}
        s = (ev["refs"] or {}).get("student") or {}
        flick = [v["student"]["mean_iou"] for v in (ev.get("flicker") or {}).values()
                 if isinstance(v, dict) and isinstance(v.get("student"), dict) and v["student"].get("mean_iou") is not None]
        keep = {k: old[k] for k in ("val_vs_teacher", "note") if k in old}
        keep["reference_masks"] = {
            **{part: {"n": s[part]["n"], "iou_median": s[part]["iou"]["median"],
                      "boundary_f_median": s[part]["boundary_f"]["median"],
                      "skin_hair_share_median": s[part]["skin_hair_share"]["median"],
                      "face_px_total": s[part]["face_px_total"]} for part in ("all", "real", "synthetic") if part in s},
            "flicker_mean_iou_over_clips": float(np.mean(flick)) if flick else None,
            "flicker_clips": len(flick), "lag": ev.get("lag"), "bad_input": ev.get("bad_input"),
            "command": ev.get("command") or "tryon-eval garment-mask (see docs/eval_garment_mask.md)"}
    elif "summary" in ev and "realism" in ev and "gan_installed" in ev:  # tryon-eval outfit
        keep = {k: ev.get(k) for k in ("summary", "realism", "speed", "n_bodies", "n_colours", "patterns",
                                       "n_clips", "max_frames")}
        keep["command"] = "tryon-eval outfit (see docs/eval_outfit.md)"
    else:
        keep = {k: ev.get(k) for k in ("faces", "clips", "realism", "onnx_ms", "n_faces", "n_shades", "face_dirs",
                                       "n_clips", "max_frames", "clip_shades", "real_min_score")}
        q = ev.get("quality") or {}
        if q.get("backends"):  # what a customer sees (issue 12): per backend, the summaries, not the cases
            keep["quality"] = {
                name: {k: b[k] for k in ("colour_all", "colour_by_family", "colour_by_tone", "tone_spread", "seam",
                                          "bare_core", "halo", "rim_pale", "teeth", "finish") if k in b}
                for name, b in q["backends"].items()}
        keep["command"] = "tryon-eval lipstick (see docs/eval_lipstick.md)"
    man["metrics"] = keep
    atomic_write_text(manifest, json.dumps(man, indent=2))
    return keep


GARMENT_COMMANDS = {"garment-mask": "tryon_desktop.train.garment_train",
                    "export-garment": "tryon_desktop.train.garment_export",
                    "outfit": "tryon_desktop.train.outfit_train",
                    "export-outfit": "tryon_desktop.train.outfit_export"}


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in GARMENT_COMMANDS:
        import importlib

        try:
            module = importlib.import_module(GARMENT_COMMANDS[argv[0]])
        except ImportError as exc:
            print(f"tryon-train needs torch: pip install 'tryon-desktop[train]' ({exc})", file=sys.stderr)
            return 2
        return module.main(argv[1:])
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        import torch  # noqa: F401
    except ImportError:
        print("tryon-train needs torch: pip install 'tryon-desktop[train]'", file=sys.stderr)
        return 2
    try:
        if args.cmd == "lipstick":
            from tryon_desktop.train.config import TrainConfig
            from tryon_desktop.train.loop import train

            cfg = TrainConfig(data=[str(Path(d)) for d in args.data])
            if args.smoke:
                cfg.steps, cfg.batch, cfg.workers, cfg.sample_every = 4, 4, 0, 2
                cfg.adv_start, cfg.checkpoint_every_s = 1, 1e9
            for key, val in (("steps", args.steps), ("batch", args.batch), ("seed", args.seed),
                             ("workers", args.workers), ("max_minutes", args.minutes)):
                if val is not None:
                    setattr(cfg, key, val)
            summary = train(cfg, args.out, cache_path=args.cache, progress=not args.no_progress, resume=not args.fresh)
            print(json.dumps(summary))
        elif args.cmd == "export":
            from tryon_desktop.train.export import export_run

            result = export_run(args.run_dir, args.out, use_ema=not args.raw)
            print(json.dumps(result, indent=2))
        elif args.cmd == "metrics":
            attach_metrics(args.manifest, args.eval_json)
    except TryOnError as exc:
        print(f"tryon-train: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("tryon-train: interrupted (the last checkpoint is kept; run again to resume)", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
