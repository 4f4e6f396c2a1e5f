"""The files a training run leaves behind: trials.csv, curves.png, confusion.png, size.png, history.png,
importance.png, report.md.

Everything is derived from the study's trials and the final summary, and written atomically.
"""

from __future__ import annotations

import csv
import importlib.resources
import io
import json
import warnings
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import optuna  # noqa: E402

from edgedigit import atomic  # noqa: E402
from edgedigit.sizes import int8_kib  # noqa: E402
from edgedigit.train.config import TrainConfig  # noqa: E402
from edgedigit.train.studies import TIE_ERRORS  # noqa: E402

CONFIG_COLUMNS = [
    "optimizer", "learning_rate", "momentum", "weight_decay", "dropout",
    "batch_size", "schedule", "lr_decay", "augment", "elastic",
]  # fmt: skip
TRIAL_COLUMNS = [
    "number", "state", "val_accuracy", "epochs_run", "seconds", "params", "int8_kb",
    "pool", "crop", "hidden", *CONFIG_COLUMNS, "preset", "note",
]  # fmt: skip


def trial_rows(trials: list[optuna.trial.FrozenTrial]) -> list[dict[str, Any]]:
    """One flat row per trial, in trial order."""
    rows = []
    for t in trials:
        cfg = t.user_attrs.get("config", {})
        params = t.user_attrs.get("params")
        hidden = cfg.get("hidden")
        rows.append(
            {
                "number": t.number,
                "state": t.state.name,
                "val_accuracy": round(t.value, 6) if t.value is not None else "",
                "epochs_run": t.user_attrs.get("epochs_run", 0),
                "seconds": t.user_attrs.get("seconds", ""),
                "params": params if params is not None else "",
                "int8_kb": round(int8_kib(hidden, cfg.get("pool", 1), cfg.get("crop", 0)), 1)
                if params is not None and hidden
                else "",
                "hidden": "-".join(str(u) for u in cfg.get("hidden", [])),
                "pool": cfg.get("pool", 1),
                "crop": cfg.get("crop", 0),
                **{k: cfg.get(k, "") for k in CONFIG_COLUMNS},
                "preset": t.user_attrs.get("preset", ""),
                "note": t.user_attrs.get("note", ""),
            }
        )
    return rows


def write_trials_csv(path: Path, rows: list[dict[str, Any]]) -> None:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=TRIAL_COLUMNS)
    writer.writeheader()
    writer.writerows(rows)
    atomic.write_text(path, buf.getvalue())


def plot_curves(path: Path, curves: dict[str, dict[str, list[float]]]) -> None:
    """Train and validation accuracy per epoch for each named run."""
    fig, (ax_acc, ax_loss) = plt.subplots(1, 2, figsize=(11, 4))
    for i, (name, hist) in enumerate(curves.items()):
        color = f"C{i % 10}"
        for key, ax, style in (("accuracy", ax_acc, "--"), ("val_accuracy", ax_acc, "-"),
                               ("loss", ax_loss, "--"), ("val_loss", ax_loss, "-")):  # fmt: skip
            if hist.get(key):
                epochs = np.arange(1, len(hist[key]) + 1)
                ax.plot(epochs, hist[key], style, color=color, label=f"{name} {key}" if style == "-" else None)
    ax_acc.set(xlabel="epoch", ylabel="accuracy (dashed: train, solid: val)", title="Accuracy")
    ax_loss.set(xlabel="epoch", ylabel="loss", title="Loss", yscale="log")
    ax_acc.legend(fontsize=7, loc="lower right")
    ax_loss.legend(fontsize=7, loc="upper right")
    _save(fig, path)


def plot_confusion(path: Path, y_true: np.ndarray, y_pred: np.ndarray, title: str) -> np.ndarray:
    """Draw and return the 10x10 confusion matrix (rows: true digit, columns: predicted)."""
    cm = np.zeros((10, 10), dtype=np.int64)
    np.add.at(cm, (y_true.astype(int), y_pred.astype(int)), 1)
    fig, ax = plt.subplots(figsize=(6.5, 5.5))
    shown = np.log1p(cm)
    ax.imshow(shown, cmap="Blues")
    for i in range(10):
        for j in range(10):
            ax.text(j, i, str(cm[i, j]), ha="center", va="center", fontsize=7,
                    color="white" if shown[i, j] > shown.max() * 0.6 else "black")  # fmt: skip
    ax.set(xticks=range(10), yticks=range(10), xlabel="predicted", ylabel="true", title=title)
    _save(fig, path)
    return cm


def plot_size(
    path: Path, rows: list[dict[str, Any]], max_kb: float | None, chosen: tuple[float, float] | None = None
) -> None:
    """Validation accuracy against estimated int8 size for every trained trial; the chosen model starred."""
    pts = [(r["int8_kb"], r["val_accuracy"]) for r in rows if r["val_accuracy"] != "" and r["int8_kb"] != ""]
    fig, ax = plt.subplots(figsize=(6, 4))
    if pts:
        kb, acc = zip(*pts)
        ax.scatter(kb, acc, s=18, label="trials")
    if chosen is not None:
        ax.scatter([chosen[0]], [chosen[1]], s=160, marker="*", color="C3", zorder=3, label="chosen model")
    if max_kb is not None:
        ax.axvline(max_kb, color="red", linestyle=":", label=f"budget {max_kb:g} KiB")
    if pts or chosen is not None or max_kb is not None:
        ax.legend(fontsize=8, loc="lower right")
    ax.set(xscale="log", xlabel="estimated int8 size (KiB)", ylabel="validation accuracy", title="Accuracy vs size")
    _save(fig, path)


def plot_study(folder: Path, study: optuna.Study) -> list[str]:
    """Optuna's own optimization-history and parameter-importance plots; returns the files written (the
    importances need two completed trials)."""
    written = []
    with warnings.catch_warnings():  # Optuna marks its matplotlib plots experimental
        warnings.simplefilter("ignore")
        ax = optuna.visualization.matplotlib.plot_optimization_history(study, target_name="validation accuracy")
        ax.set(xlabel="trial", ylabel="validation accuracy")
        _save(ax.figure, folder / "history.png")
        written.append("history.png")
        if len(study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,))) >= 2:
            ax = optuna.visualization.matplotlib.plot_param_importances(study, target_name="validation accuracy")
            ax.set(xlabel="importance for validation accuracy (fANOVA, sums to 1)")
            _save(ax.figure, folder / "importance.png")
            written.append("importance.png")
    return written


def write_report(
    path: Path, summary: dict[str, Any], rows: list[dict[str, Any]], plots: list[str] | None = None, top: int = 10
) -> None:
    """report.md: the chosen model and why, the options, the training mix, the top trials and the figures."""
    best = summary.get("best_config", {})
    lines = [
        f"# edgedigit training run `{summary['run']}`",
        "",
        "## Chosen model",
        "",
        _why(summary),
        "",
        "| metric | value |",
        "|---|---|",
        f"| test accuracy (touched once) | {summary.get('test_accuracy', 'n/a')} |",
        f"| validation accuracy | {summary.get('val_accuracy', 'n/a')} |",
        f"| parameters | {summary.get('params', 'n/a')} |",
        f"| estimated int8 file | {summary.get('int8_kb', 'n/a')} KiB |",
        f"| trials (complete / pruned / failed) | {summary.get('trial_counts', {})} |",
        f"| wall time | {summary.get('wall_seconds', 'n/a')} s ({_phases(summary)}){_bounded(summary)} |",
        "",
        "## Options",
        "",
        "As given (`summary.json` → `options`; the storage URL without its password) and, where a default",
        "depends on others, as applied (`resolved`).",
        "",
        "| option | value |",
        "|---|---|",
        *[f"| `--{k.replace('_', '-')}` | {_cell(v)} |" for k, v in summary.get("options", {}).items()],
        *[f"| {k} (applied) | {_cell(v)} |" for k, v in summary.get("resolved", {}).items()],
        "",
        "## Training mix",
        "",
        "What was added to MNIST's training images for the field (samples: ![mix](field_samples.png)); your own",
        "digits' accuracy before (the bundled model) and after, when `--extra` was given:",
        "",
        "```json",
        json.dumps(summary.get("training_mix", {}), indent=2),
        "```",
        "",
        "## Best configuration",
        "",
        "```json",
        json.dumps(best, indent=2),
        "```",
        "",
    ]
    if summary.get("preset_comparison"):
        lines += ["## Seed study, rerun with its settings applied", "",
                  "| config | seed reported (on test, which it tuned on) | validation accuracy now |",
                  "|---|---|---|"]  # fmt: skip
        for c in summary["preset_comparison"]:
            lines.append(f"| {c['name']} | {c['seed_reported']} | {c['val_accuracy']} |")
        lines.append("")
    lines += size_table_lines(summary)
    ranked = sorted((r for r in rows if r["val_accuracy"] != ""), key=lambda r: -r["val_accuracy"])[:top]
    lines += [f"## Top {len(ranked)} trials (by validation accuracy)", "",
              "| # | val acc | hidden | optimizer | lr | momentum | wd | dropout | batch | epochs | int8 KiB | s |",
              "|---|---|---|---|---|---|---|---|---|---|---|---|"]  # fmt: skip
    for r in ranked:
        lines.append(
            f"| {r['number']} | {r['val_accuracy']:.4f} | {r['hidden']} | {r['optimizer']} | {_g(r['learning_rate'])} "
            f"| {_g(r['momentum'])} | {_g(r['weight_decay'])} | {_g(r['dropout'])} | {r['batch_size']} "
            f"| {r['epochs_run']} | {r['int8_kb']} | {r['seconds']} |"
        )
    lines += ["", "All trials: [trials.csv](trials.csv)", "", "## Learning curves", "", "![curves](curves.png)", "",
              "## Confusion matrix (test set)", "", "![confusion](confusion.png)", "",
              "## Accuracy against size (the chosen model starred)", "", "![size](size.png)", ""]  # fmt: skip
    plots = plots or []
    if "history.png" in plots:
        lines += ["## Optuna: optimization history", "", "![history](history.png)", ""]
    if "importance.png" in plots:
        lines += ["## Optuna: parameter importances", "", "![importance](importance.png)", ""]
    atomic.write_text(path, "\n".join(lines))


SIZE_TABLE = "size_table.json"  # written by benchmarks/size_table.py --json, shipped beside this module


SIZE_TABLE_HEADER = ["| budget | seeds | configurations | test int8: mean (min–max) | drop | agreement, worst | "
                     "int8 file | 28×28 p50 | USPS, worst crop |", "|---|---|---|---|---|---|---|---|---|"]  # fmt: skip


def size_table_row(r: dict[str, Any]) -> str:
    """One row of the accuracy-size table from its record (benchmarks/size_table.py writes the records)."""
    return (f"| {r['budget']} | {r['seeds']} | {' / '.join(r['configurations'])} | {r['int8_mean']:.2%} "
            f"({r['int8_min']:.2%}–{r['int8_max']:.2%}) | {r['drop_pp']:+.2f} pp | {r['agreement_worst']:.2%} | "
            f"{' / '.join(f'{b:,}' for b in r['bytes'])} bytes | {r['p50_us']:.1f} µs | "
            f"{r['usps_worst']:.2%} |")  # fmt: skip


def size_table_lines(summary: dict[str, Any]) -> list[str]:
    """The measured accuracy-size table (benchmarks/size_table.py: every budget, mean and range over seeds) with
    this run as a last row, so a report says what its budget buys against the others."""
    resource = importlib.resources.files("edgedigit.train").joinpath(SIZE_TABLE)
    if not resource.is_file():
        return []
    table = json.loads(resource.read_text())
    lines = ["## This run in the accuracy–size table", "",
             f"Measured by `{table['command']}` ({table['measured']}; MNIST test through the int8 file, 28×28 latency "
             "p50 of preprocessing and inference on that machine, USPS at its worst crop). This run's row is its "
             "Keras model's test accuracy and estimated file: `edgedigit export RUN --int8` measures the rest.", "",
             *SIZE_TABLE_HEADER, *map(size_table_row, table["rows"])]  # fmt: skip
    budget = summary.get("options", {}).get("max_kb")
    label = TrainConfig.from_dict(summary["best_config"]).label if summary.get("best_config") else "n/a"
    lines += [f"| **this run** ({f'--max-kb {budget:g}' if budget else 'no budget'}) | 1 | {label} | "
              f"{_percent(summary.get('test_accuracy'))} (Keras) | | | about {summary.get('int8_kb', 'n/a')} KiB "
              "| | |", ""]  # fmt: skip
    return lines


def _why(summary: dict[str, Any]) -> str:
    """One paragraph: which model model.keras is, and why it was chosen over the others."""
    source, val = summary.get("chosen_from", ""), summary.get("val_accuracy")
    final_from = summary.get("final_from_trial")
    text = f"`model.keras` is **{source}**, validation accuracy {val}, test accuracy {summary.get('test_accuracy')}."
    if source.startswith("final"):
        return (f"{text} Trial {final_from}'s configuration (the best trial's; under a small budget, the largest "
                f"network within {TIE_ERRORS:g} standard errors of the best's validation accuracy) was retrained "
                "for longer, and the retrained model scored at least as well on validation as every trial, so it "
                "was kept.")  # fmt: skip
    if final_from is not None:
        return (f"{text} It had the best validation accuracy of the trials run here; the longer retrain of "
                f"trial {final_from}'s configuration scored lower on validation, so this model was kept.")  # fmt: skip
    if summary.get("final_fit_epochs") == 0:
        return (f"{text} It had the best validation accuracy; --minutes left its final retrain no more epochs than "
                "its trial ran, so none was made.")  # fmt: skip
    return f"{text} It had the best validation accuracy (the search was stopped before a final retrain)."


def _percent(value: Any) -> str:
    return f"{value:.2%}" if isinstance(value, float) else "n/a"


def _cell(value: Any) -> str:
    return "–" if value is None else str(value).replace("|", "\\|")


def _g(v: Any) -> str:
    return f"{v:.3g}" if isinstance(v, float) else str(v)


def _save(fig: plt.Figure, path: Path) -> None:
    with atomic.atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=110, bbox_inches="tight", format=path.suffix.lstrip("."))
    plt.close(fig)


def _bounded(summary: dict[str, Any]) -> str:
    """What `--minutes` did to the search, when it ended it, and to the final fit, when it cut its epochs."""
    resolved, epochs = summary.get("resolved", {}), summary.get("final_fit_epochs")
    text = ""
    if summary.get("search_stopped_by") == "minutes":
        final = summary["final_fit_expected_seconds"]
        text = f"; the search ended early for --minutes {resolved['minutes']:g}, leaving the final fit its expected "
        text += f"{final:.0f} s"
    if epochs is not None and epochs < resolved.get("final_epochs", epochs):
        cut = f"cut to {epochs} of {resolved['final_epochs']} epochs" if epochs else "left out"
        text += f"; the final fit {cut} to end within --minutes {resolved['minutes']:g}"
    return text


def _phases(summary: dict[str, Any]) -> str:
    """Where the wall time went, e.g. 'data 41 s, search 902 s, final 310 s, evaluation 3 s'."""
    return ", ".join(f"{name} {seconds:.0f} s" for name, seconds in summary.get("phase_seconds", {}).items())
