"""`edgedigit train` end to end on a few thousand real MNIST images, and its guards."""

from __future__ import annotations

import csv
import importlib.resources
import json

import pytest
from typer.testing import CliRunner

from edgedigit.cli import app
from edgedigit.train import report
from edgedigit.train.config import TrainConfig
from tests.conftest import on_int8_grid

runner = CliRunner()


@pytest.fixture(scope="module")
def trained_run(tmp_path_factory, mnist_path, small_model_path):
    runs = tmp_path_factory.mktemp("runs")
    args = ["train", "--data", str(mnist_path), "--runs-dir", str(runs), "--run", "e2e", "--limit", "3000",
            "--trials", "3", "--epochs", "2", "--final-epochs", "2", "--augment", "0.5", "--elastic", "0.8",
            "--seed", "1", "--teacher", str(small_model_path), "--distill", "0.6",
            "--distill-temperature", "3", "--deskew"]  # fmt: skip
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    return runs / "e2e", result


def test_run_folder_has_every_artifact(trained_run):
    folder, _ = trained_run
    for name in ("model.keras", "trials.csv", "summary.json", "curves.png", "confusion.png", "size.png", "report.md",
                 "field_samples.png", "options.json"):  # fmt: skip
        assert (folder / name).stat().st_size > 0, name
    hidden = [p.name for p in folder.iterdir() if p.name.startswith(".")]
    assert hidden == [".lock"], "temp files left behind"  # the lock stays; only a live process holds it


def test_summary_records_what_was_asked_and_what_was_measured(trained_run, mnist, small_model_path):
    folder, _ = trained_run
    summary = json.loads((folder / "summary.json").read_text())
    assert summary["options"]["trials"] == 3 and summary["options"]["augment"] == 0.5
    assert summary["data"]["sha256"] == mnist.sha256
    assert summary["data"]["train"] + summary["data"]["val"] == 3000 and summary["data"]["test"] == 10000
    # 3000 images and 2 epochs: far from the full-size figure, far above chance
    assert 0.6 < summary["test_accuracy"] < 1.0 and 0.6 < summary["val_accuracy"] <= 1.0
    best = summary["best_config"]
    assert best["augment"] == 0.5 and best["elastic"] == 0.8 and best["epochs"] in (2,)
    assert summary["options"]["elastic"] == 0.8
    assert summary["resolved"] == {"augment": 0.5, "elastic": 0.8, "final_epochs": 2, "distill": 0.6,
                                   "deskew": True, "moments": False, "int8_grid": True,
                                   "minutes": 30.0, "teacher": str(small_model_path), "max_params": None,
                                   "max_int8_bytes": None}  # fmt: skip
    # three short trials: the 30 minutes never ended the search, and the final fit was timed by its trial's epochs
    assert summary["search_stopped_by"] is None and 0 < summary["final_fit_expected_seconds"] < 1800
    assert summary["final_fit_epochs"] == 2  # as asked, though no more than the trials ran: the bound cut nothing
    assert best["deskew"] is True and best["moments"] is False and summary["options"]["deskew"] is True
    assert all(on_int8_grid(kernel) for kernel in saved_kernels(folder))  # --int8-grid's default, applied
    assert (best["distill"], best["distill_temperature"]) == (0.6, 3.0)  # every trial and the final fit distilled
    assert (summary["options"]["teacher"], summary["options"]["distill"]) == (str(small_model_path), 0.6)
    mix = summary["training_mix"]  # the field recipe's defaults, applied and recorded
    wanted = {"fonts": 0.1, "flag_ones": 0.5, "closed_fours": 1.0, "touching_pairs": 0.05, "cut_pieces": 0.1,
              "non_digits": 0.1, "box_fill": 0.1, "written": 0.8}  # fmt: skip
    assert {k: summary["options"][k] for k in wanted} == wanted
    assert mix["mnist"] == summary["data"]["train"] and mix["non_digits"] == int(0.1 * mix["mnist"])
    assert mix["font_digits"] > 0.08 * mix["mnist"] and mix["box_filled"] > 0.08 * mix["mnist"]
    assert mix["written"] > 0.6 * mix["mnist"] and mix["closed_fours"] > 0 and mix["touching_pairs"] > 0
    assert mix["cut_pieces"] > 0 and mix["cut_pieces_of_two"] > 0
    from edgedigit.sizes import count_params, int8_file_bytes

    assert summary["params"] == count_params(best["hidden"])
    assert summary["int8_kb"] == pytest.approx(int8_file_bytes(best["hidden"]) / 1024, abs=0.1)
    assert sum(map(sum, summary["confusion_matrix"])) == 10000
    diag = sum(summary["confusion_matrix"][i][i] for i in range(10))
    assert diag / 10000 == pytest.approx(summary["test_accuracy"], abs=1e-4)
    assert {"tensorflow", "keras", "optuna", "numpy"} <= set(summary["versions"])
    phases = summary["phase_seconds"]  # where the wall time went, in order
    assert list(phases) == ["data", "search", "final", "evaluation"] and phases["search"] > 0 < phases["final"]
    assert sum(phases.values()) <= summary["wall_seconds"] + 0.5
    assert f"search {phases['search']:.0f} s" in (folder / "report.md").read_text()


def test_trials_csv_has_one_row_per_trial_with_params(trained_run):
    folder, _ = trained_run
    rows = list(csv.DictReader((folder / "trials.csv").open()))
    assert len(rows) == 3
    assert rows[0]["hidden"] == "445-358-518-16" and rows[0]["optimizer"] == "adam"  # the best known goes first
    for row in rows:
        assert row["state"] in ("COMPLETE", "PRUNED")
        assert float(row["augment"]) == 0.5 and float(row["elastic"]) == 0.8
        if row["state"] == "COMPLETE":
            assert 0 < float(row["val_accuracy"]) <= 1 and int(row["epochs_run"]) == 2


def test_a_log_shows_each_trial_and_phase_and_the_whole_table(trained_run):
    """Not a terminal (CliRunner, like nohup or CI): a plain line per finished trial and per phase."""
    folder, result = trained_run
    lines = result.stdout.splitlines()
    for number in range(3):
        assert any(line.startswith(f"trial {number} ") and "/3 trials" in line for line in lines), number
    assert any(line.startswith("final: ") for line in lines)
    assert "…" not in result.stdout  # cells wrap, never cut
    for row in csv.DictReader((folder / "trials.csv").open()):
        assert f"trial {row['number']} val {float(row['val_accuracy']):.4f} ({row['hidden']}," in result.stdout


def test_report_ties_the_files_together(trained_run):
    folder, _ = trained_run
    text = (folder / "report.md").read_text()
    for needle in ("test accuracy", "curves.png", "confusion.png", "trials.csv", "Best configuration"):
        assert needle in text
    summary = json.loads((folder / "summary.json").read_text())
    chosen = text.split("## Chosen model")[1].split("##")[0]
    assert f"**{summary['chosen_from']}**" in chosen and str(summary["val_accuracy"]) in chosen
    assert "| `--seed` | 1 |" in text and "| `--augment` | 0.5 |" in text and "| `--elastic` | 0.8 |" in text
    assert "{'data'" not in text  # options are a table, not a dict dump
    completed = summary["trial_counts"]["complete"]
    for plot in ("history.png", "importance.png")[: 1 + (completed >= 2)]:  # Optuna's own plots
        assert (folder / plot).stat().st_size > 5000 and f"]({plot})" in text
    # the measured accuracy-size table the package ships, every budget's row, and this run's own row after it
    shipped = json.loads(importlib.resources.files("edgedigit.train").joinpath(report.SIZE_TABLE).read_text())
    table = text.split("## This run in the accuracy–size table")[1].split("\n## ")[0]
    rows = [line for line in table.splitlines() if line.startswith("| ") and not line.startswith("| budget")]
    assert [row.split(" | ")[0][2:] for row in rows[:-1]] == [r["budget"] for r in shipped["rows"]]
    label = TrainConfig.from_dict(summary["best_config"]).label
    assert rows[-1].startswith(f"| **this run** (no budget) | 1 | {label} | {summary['test_accuracy']:.2%} (Keras)")


def test_existing_run_is_not_overwritten(trained_run, mnist_path):
    folder, _ = trained_run
    before = (folder / "model.keras").read_bytes()
    result = runner.invoke(app, ["train", "--data", str(mnist_path), "--runs-dir", str(folder.parent), "--run", "e2e"])
    assert result.exit_code == 2
    assert "--resume" in result.stderr and "Traceback" not in result.output
    assert (folder / "model.keras").read_bytes() == before


def test_resume_continues_the_same_study(trained_run, mnist_path):
    folder, _ = trained_run
    resume = ["train", "--data", str(mnist_path), "--runs-dir", str(folder.parent), "--run", "e2e", "--resume"]
    refused = runner.invoke(app, [*resume, "--epochs", "1"])  # another search, not this one
    assert refused.exit_code == 2 and "--epochs 1 differs from this run's 2" in refused.stderr
    result = runner.invoke(app, [*resume, "--trials", "4"])  # more trials: the only change a resume takes
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader((folder / "trials.csv").open()))
    assert len(rows) == 4  # three kept, one new
    summary = json.loads((folder / "summary.json").read_text())
    assert summary["options"]["limit"] == 3000 and summary["options"]["augment"] == 0.5  # the run's own options


def test_a_run_begun_before_an_option_existed_resumes_without_it(tmp_path):
    """--written came after runs that were stored without it: resuming one keeps its mix (0), not today's
    default, and says so in the options it writes back."""
    from edgedigit.options import TrainOptions
    from edgedigit.train.run_folder import PLACE, own_options

    newer = (*PLACE, "written", "deskew", "moments")
    old = {k: v for k, v in TrainOptions(run="old").recorded().items() if k not in newer}
    (tmp_path / "options.json").write_text(json.dumps(old))
    resumed = own_options(TrainOptions(run="old", resume=True), tmp_path)
    assert resumed.written == 0.0 and json.loads((tmp_path / "options.json").read_text())["written"] == 0.0
    assert resumed.deskew is False and not resumed.deskew_on  # --deskew came later still
    assert resumed.moments is False and not resumed.moments_on  # and --moments later again
    assert own_options(TrainOptions(run="new"), tmp_path / "new").written == TrainOptions().written


def test_moment_normalization_is_on_by_default_only_for_a_small_budgets_search_and_deskewing_its_fallback():
    from edgedigit.options import TrainOptions

    small = [TrainOptions(max_kb=32), TrainOptions(max_params=50_000)]
    assert all(o.moments_on and not o.deskew_on for o in small)  # moment normalization shears upright itself
    assert not any(o.moments_on or o.deskew_on for o in (TrainOptions(), TrainOptions(max_kb=700)))
    assert TrainOptions(max_kb=32, moments=False).deskew_on and not TrainOptions(max_kb=32, moments=False).moments_on
    deskewed = TrainOptions(max_kb=32, deskew=True)
    assert deskewed.deskew_on and not deskewed.moments_on  # --deskew alone asks for deskewing alone
    assert not TrainOptions(max_kb=32, deskew=False).deskew_on and TrainOptions(deskew=True).deskew_on
    assert TrainOptions(moments=True).moments_on and not TrainOptions(moments=True).deskew_on
    seed = TrainOptions(max_kb=32, preset="seed")
    assert not seed.deskew_on and not seed.moments_on


def test_a_run_is_rounded_to_its_int8_grid_unless_told_otherwise():
    from edgedigit.options import TrainOptions
    from edgedigit.train.finetune import inherited_int8_grid

    assert TrainOptions().int8_grid_on and TrainOptions(max_kb=8).int8_grid_on
    assert not TrainOptions(int8_grid=False).int8_grid_on and not TrainOptions(max_kb=8, int8_grid=False).int8_grid_on
    rounded, as_trained, older = ({"resolved": {"int8_grid": v}} for v in (True, False, None))
    assert inherited_int8_grid(TrainOptions(), rounded) and not inherited_int8_grid(TrainOptions(), as_trained)
    assert not inherited_int8_grid(TrainOptions(), {"resolved": {}}) and not inherited_int8_grid(TrainOptions(), older)
    assert not inherited_int8_grid(TrainOptions(int8_grid=False), rounded)


@pytest.mark.parametrize(
    "args, message",
    [
        (["--max-kb", "1"], "below the smallest MLP"),
        (["--trials", "0"], "--trials must be at least 1"),
        (["--preset", "nope"], "--preset must be"),
        (["--data", "/nonexistent/mnist.npz"], "not found"),
        (["--resume", "--force"], "contradict"),
        (["--limit", "50"], "--limit must be at least 200"),
        (["--distill", "0.5"], "--distill needs --teacher"),
        (["--teacher", "/nonexistent/run"], "neither a .keras file nor a run folder"),
        (["--teacher", "/nonexistent/run", "--preset", "seed"], "--teacher applies to a search"),
        (["--deskew", "--preset", "seed"], "--deskew applies to a search"),
        (["--moments", "--preset", "seed"], "--moments applies to a search"),
        (["--moments", "--deskew"], "--moments shears every picture upright itself"),
        (["--teacher", "/nonexistent/run", "--distill-temperature", "0"], "--distill-temperature must be positive"),
        (["--storage", "nosuchdb://x"], "cannot open Optuna storage"),
        (["--minutes", "-1"], "--minutes must be 0 (no bound) or positive"),
        (["--finetune", "/nonexistent/run", "--trials", "3", "--max-kb", "32"], "--trials, --max-kb steer a search"),
        (["--extra-repeat", "5"], "--extra-repeat repeats your own digits: give --extra DIR too"),
        (["--distill-temperature", "3"], "--distill-temperature softens a teacher's probabilities: give --teacher"),
    ],
)
def test_bad_options_give_one_line_and_exit_2(tmp_path, mnist_path, args, message):
    base = ["train", "--runs-dir", str(tmp_path), "--run", "x"]
    if "--data" not in args:
        base += ["--data", str(mnist_path)]
    result = runner.invoke(app, base + args)
    assert result.exit_code == 2
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "x").exists()  # no half-made run folder: the same command, corrected, just runs


def test_a_runs_dir_that_cannot_be_made_is_one_line(tmp_path, mnist_path):
    (tmp_path / "a-file").write_text("not a folder")
    runs = tmp_path / "a-file" / "runs"
    result = runner.invoke(app, ["train", "--data", str(mnist_path), "--runs-dir", str(runs), "--run", "x"])
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert result.stderr.strip() == f"edgedigit: error: {runs / 'x'}: Not a directory"


def test_a_storage_password_never_reaches_a_file_or_a_message():
    from edgedigit.options import TrainOptions, redact

    url = "postgresql+psycopg2://ed:s3cr@t@127.0.0.1:5432/studies"
    assert redact(url) == "postgresql+psycopg2://ed:***@127.0.0.1:5432/studies"
    assert "s3cr" not in json.dumps(TrainOptions(storage=url).recorded())
    assert redact("sqlite:///runs/a/study.db") == "sqlite:///runs/a/study.db"


def saved_kernels(folder) -> list:
    import keras

    model = keras.models.load_model(folder / "model.keras", safe_mode=True)
    return [layer.get_weights()[0] for layer in model.layers if isinstance(layer, keras.layers.Dense)]
