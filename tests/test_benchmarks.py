"""The benchmark harness runs: every config of benchmarks/bench_train_step.py for an iteration, its --scaling grid
and its options, and benchmarks/examples_time.py on stand-in examples.  Nothing here asserts a time; the PyTorch
side is checked only where torch is installed."""
import importlib.util
import json
import math
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def load(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / "benchmarks" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


bench = load("bench_train_step")
examples_time = load("examples_time")


@pytest.mark.parametrize("config", bench.CONFIGS)
def test_every_config_trains_an_iteration_in_minigan(config):
    side = bench.minigan_side("cpu")
    step = bench.build(config, [side], 4, "cpu")["minigan"]
    assert all(math.isfinite(loss.item()) for loss in step(side.noise))


def test_dcgan_scales_its_images_and_nothing_else_does():
    side = bench.minigan_side("cpu")
    G, D = bench.scaled("dcgan", 8).models(side)
    image = G(side.noise((2, bench.Z_DIM)))
    assert image.shape == (2, 1, 8, 8) and D(image).shape == (2, 1)
    with pytest.raises(ValueError, match="only dcgan scales"):
        bench.scaled("mlp-gan", 8)


def test_the_scaling_grid_measures_dcgan_at_28_pixels_once():
    args = bench.parse_args(["--scaling", "--configs", "mlp-gan", "dcgan", "--batches", "16", "64"])
    assert bench.jobs(args) == [("mlp-gan", 16, None), ("mlp-gan", 64, None), ("dcgan", 16, 28), ("dcgan", 64, 28),
                                ("dcgan", 64, 32), ("dcgan", 64, 64)]
    assert bench.jobs(bench.parse_args(["--configs", "vae-mlp"])) == [("vae-mlp", 128, None)]


@pytest.mark.parametrize("argv, message", [
    (["--sizes", "32"], "add --scaling"),
    (["--scaling", "--sizes", "30"], "multiples of 4"),
    (["--scaling", "--batches", "1"], "at least 2"),
    (["--scaling", "--configs", "vae-mlp", "--sizes", "32"], "add dcgan to --configs"),
    (["--configs", "gan"], "sentence-gan"),  # an unknown config: the error lists the known ones
])
def test_bad_options_say_what_is_wrong(argv, message, capsys):
    with pytest.raises(SystemExit):
        bench.parse_args(argv)
    assert message in capsys.readouterr().err


def test_scaling_prints_a_markdown_table_and_saves_the_rows(tmp_path, capsys):
    saved = tmp_path / "scaling.json"
    bench.main(["--scaling", "--configs", "dcgan", "--batches", "2", "--sizes", "8", "--repeats", "1", "--warmup", "0",
                "--no-memory", "--markdown", "--threads", "1", "--save", str(saved)])
    lines = capsys.readouterr().out.splitlines()
    assert lines[3].startswith("| config | batch | image | minigan ms")
    assert lines[5].startswith("| dcgan | 2 | 28×28 |") and lines[6].startswith("| dcgan | 64 | 8×8 |")
    report = json.loads(saved.read_text())
    assert report["scaling"] and [(r["batch"], r["image"]) for r in report["results"]] == [(2, 28), (64, 8)]


def test_the_memory_probe_measures_a_scaled_config():
    assert bench.cpu_memory("dcgan", "minigan", 2, 8, threads=1) >= 0


@pytest.fixture
def one_torch_thread():
    """PyTorch on one thread: on a busy 2-core machine its thread pool spends seconds of CPU waiting."""
    torch = pytest.importorskip("torch")
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.mark.parametrize("config", bench.CONFIGS)
def test_both_libraries_compute_the_same_losses(config, one_torch_thread):
    sides = [bench.minigan_side("cpu"), bench.torch_side("cpu")]
    assert bench.check(config, sides, 4, "cpu", iterations=1) < 1e-4


# ---------------------------------------------------------------- examples_time.py
STAND_INS = {
    "quick": """
        import argparse, os, sys
        parser = argparse.ArgumentParser()
        parser.add_argument("--out")
        parser.add_argument("--no-progress", action="store_true")
        args = parser.parse_args()
        os.makedirs(args.out)
        sys.exit(0 if os.environ.get("OPENBLAS_NUM_THREADS") == "1" else 5)
        """,
    "broken": """
        import sys
        print("the data file is missing")
        sys.exit(3)
        """,
    "stuck": """
        import time
        time.sleep(60)
        """,
}


@pytest.fixture
def stand_ins(tmp_path):
    folder = tmp_path / "checkout" / "examples"
    folder.mkdir(parents=True)
    for name, code in STAND_INS.items():
        (folder / f"{name}.py").write_text(textwrap.dedent(code))
    return folder


def test_examples_time_reports_each_run_and_every_failure(stand_ins, tmp_path, capsys):
    out = tmp_path / "times.md"
    status = examples_time.main(["--examples", str(stand_ins), "--threads", "1", "--timeout", "1", "--out", str(out)])
    assert status == 1
    report = json.loads(out.with_suffix(".json").read_text())
    runs = {r["example"]: r for r in report["examples"]}
    assert list(runs) == ["broken", "quick", "stuck"]
    assert runs["quick"]["status"] == "ok" and "output_tail" not in runs["quick"]
    assert runs["broken"]["status"] == "failed (exit 3)" and runs["broken"]["exit_code"] == 3
    assert runs["broken"]["output_tail"] == ["the data file is missing"]
    assert runs["stuck"]["status"] == "timed out" and runs["stuck"]["exit_code"] is None
    table = out.read_text().splitlines()
    assert table[0] == "| example | wall time | CPU time | threads | CPU |"
    assert table[2].startswith("| `examples/broken.py` | failed (exit 3), after ")
    assert table[-1].startswith("| all 3 | ")
    assert "the data file is missing" in capsys.readouterr().err


def test_examples_time_runs_only_the_examples_named(stand_ins, tmp_path):
    out = tmp_path / "times.md"
    assert examples_time.main(["--examples", str(stand_ins), "--only", "quick.py", "--threads", "1",
                               "--out", str(out)]) == 0
    assert [r["example"] for r in json.loads(out.with_suffix(".json").read_text())["examples"]] == ["quick"]


def test_an_unknown_example_lists_the_known_ones(stand_ins, capsys):
    with pytest.raises(SystemExit):
        examples_time.main(["--examples", str(stand_ins), "--only", "quick,nope"])
    assert "no example called nope; the examples are broken, quick, stuck" in capsys.readouterr().err


def test_durations_read_as_a_person_counts_them():
    assert [examples_time.duration(s) for s in (4.4, 574, 3725)] == ["4 s", "9 min 34 s", "1 h 02 min"]


def test_every_real_example_is_found():
    names = examples_time.example_names(ROOT / "examples")
    assert "toy_1d_gan" in names and "sentence_gan" in names
