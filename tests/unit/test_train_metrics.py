"""`tryon-train metrics MANIFEST EVAL_JSON` copies an eval's figures into a model manifest: for the garment
mask, the student's reference-mask figures next to the export's held-out score, the hash untouched."""

from __future__ import annotations

import json

from tryon_desktop.train.cli import attach_metrics


def _part(n, iou):
    return {"n": n, "iou": {"median": iou}, "boundary_f": {"median": 0.5}, "skin_hair_share": {"median": 0.01},
            "face_px_total": 0}


def test_garment_mask_eval_goes_into_the_manifest(tmp_path):
    man = tmp_path / "garment_mask.json"
    man.write_text(json.dumps({"sha256": "ab" * 32, "metrics": {"val_vs_teacher": {"iou": 0.8}, "note": "held out"}}))
    ev = tmp_path / "eval.json"
    ev.write_text(json.dumps({
        "refs": {"student": {"all": _part(26, 0.76), "real": _part(21, 0.7), "synthetic": _part(5, 0.9)}},
        "per_ref": [], "command": "tryon-eval garment-mask --out X",
        "flicker": {"a.mp4": {"student": {"mean_iou": 0.98}}, "b.mp4": {"student": None},
                    "c.mp4": {"student": {"mean_iou": 0.96}}},
        "lag": {"moving_frames": 9}, "bad_input": {"no person": {"student": {"max_share": 0.0}}}}))
    attach_metrics(man, ev)
    m = json.loads(man.read_text())
    assert m["sha256"] == "ab" * 32
    assert m["metrics"]["val_vs_teacher"] == {"iou": 0.8} and m["metrics"]["note"] == "held out"
    ref = m["metrics"]["reference_masks"]
    assert ref["real"]["iou_median"] == 0.7 and ref["all"]["n"] == 26
    assert abs(ref["flicker_mean_iou_over_clips"] - 0.97) < 1e-9 and ref["flicker_clips"] == 2
    assert ref["command"] == "tryon-eval garment-mask --out X"


def test_lipstick_eval_carries_what_a_customer_sees(tmp_path):
    man = tmp_path / "lipstick_generator.json"
    man.write_text(json.dumps({"sha256": "cd" * 32, "metrics": {}}))
    ev = tmp_path / "eval.json"
    ev.write_text(json.dumps({"faces": {"n": 10}, "realism": {"gan": {"accuracy": 0.79}},
                              "quality": {"backends": {"gan": {"bare_core": {"p90": 0.008}, "finish": {"accuracy": 0.894},
                                                               "worst_colour_faces": ["x"]}}}}))
    attach_metrics(man, ev)
    m = json.loads(man.read_text())
    assert m["sha256"] == "cd" * 32 and m["metrics"]["faces"] == {"n": 10}
    assert m["metrics"]["quality"]["gan"] == {"bare_core": {"p90": 0.008}, "finish": {"accuracy": 0.894}}
