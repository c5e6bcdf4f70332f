"""scripts/sweep.py's own arithmetic: seed ranges, metric look-ups, the summary table and its verdicts.

The sweep itself sets OPENBLAS_CORETYPE per run, which tests never do, so only its pure parts run here."""
import argparse
import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("sweep", ROOT / "scripts" / "sweep.py")
sweep = importlib.util.module_from_spec(spec)
spec.loader.exec_module(sweep)


def test_seed_ranges():
    assert sweep.parse_seeds("0-4") == [0, 1, 2, 3, 4]
    assert sweep.parse_seeds("0,3,5") == [0, 3, 5]
    assert sweep.parse_seeds("0-2,7") == [0, 1, 2, 7]
    with pytest.raises(argparse.ArgumentTypeError, match="'x' is not a seed"):
        sweep.parse_seeds("0,x")


def test_lookup_reads_nested_metrics_and_the_score_ratio():
    metrics = {"classifier_score": 9.0, "classifier_score_real": 10.0, "modes": 25,
               "generator_alone": {"classifier_score": 8.0, "classifier_score_real": 10.0}, "settings": {"a": 1}}
    assert sweep.lookup(metrics, "ratio") == pytest.approx(0.9)
    assert sweep.lookup(metrics, "generator_alone.ratio") == pytest.approx(0.8)
    assert sweep.lookup(metrics, "modes") == 25.0


def runs_of(values):
    return [{"seed": i, "blas": "Haswell", "wall": 1.0, "metrics": {"modes": m, "reverse_kl": kl}}
            for i, (m, kl) in enumerate(values)]


def test_summary_counts_the_runs_that_meet_each_target():
    targets = [("modes", ">=", 24), ("reverse_kl", "<=", 0.04)]
    summary = sweep.summarise(runs_of([(25, 0.01), (24, 0.05), (25, 0.02)]), targets,
                              [("modes", "mean", ">=", 24.8)])
    row = summary["metrics"]["modes"]
    assert (row["min"], row["median"], row["max"], row["met"]) == (24, 25, 25, 3)
    assert summary["metrics"]["reverse_kl"]["met"] == 2
    assert summary["sweep_targets"][0]["value"] == pytest.approx(74 / 3) and not summary["sweep_targets"][0]["met"]
    assert not summary["all_targets_met"]
    assert sweep.summarise(runs_of([(25, 0.01), (25, 0.02)]), targets, [])["all_targets_met"]


def test_the_markdown_table_has_a_row_per_metric():
    summary = sweep.summarise(runs_of([(25, 0.01), (24, 0.05)]), [("modes", ">=", 24)], [("modes", "mean", ">=", 24.8)])
    summary.update(example="mixture_gan --data grid", seeds=[0, 1], blas=["Haswell"])
    table = sweep.markdown_table(summary)
    assert "| modes | 24 | 24.5 | 25 | >= 24 | 2/2 |" in table
    assert "| reverse_kl | 0.01 | 0.03 | 0.05 |  |  |" in table
    assert "| mean modes | | 24.5 | | >= 24.8 | no |" in table


def test_a_failed_run_means_not_every_target_met():
    runs = runs_of([(25, 0.01)]) + [{"seed": 1, "blas": "Haswell", "wall": 0.1, "error": "exit status 1"}]
    summary = sweep.summarise(runs, [("modes", ">=", 24)], [])
    assert summary["failed_runs"] == 1 and not summary["all_targets_met"]


def test_targets_follow_the_options_that_name_them():
    assert sweep.target_key("mixture_gan", ["--data", "grid", "--ema", "0"]) == "mixture_gan --data grid"
    assert sweep.target_key("mixture_gan", ["--data", "ring"]) == "mixture_gan --data ring"
    assert sweep.target_key("toy_1d_gan", ["--steps", "100"]) == "toy_1d_gan"


def test_every_example_with_targets_exists():
    for key in sweep.TARGETS:
        assert (ROOT / "examples" / f"{key.split()[0]}.py").is_file(), key
