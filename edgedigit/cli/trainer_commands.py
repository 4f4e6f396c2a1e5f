"""`edgedigit train` and `edgedigit export`: the workstation's commands. TensorFlow, Keras, Optuna and
matplotlib are imported inside each command, after a one-line check that the training extras are installed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from edgedigit.cli.app import app, fail, friendly, given, needs_training_extras, quiet_tensorflow, subject
from edgedigit.errors import UserError
from edgedigit.options import ELASTIC_PX, RUN_MINUTES, ExportOptions, TrainOptions

# train's options that steer a search, which a fine-tune (--finetune RUN: RUN's model trained further) has none of
SEARCH_ONLY = ("preset", "trials", "timeout", "minutes", "final_epochs", "max_params", "max_kb", "storage", "study")


@app.command()
@friendly
def train(
    ctx: typer.Context,
    data: Annotated[
        Optional[Path],
        typer.Option(help="Keras mnist.npz or folder of IDX files (else $EDGEDIGIT_DATA, else download)."),
    ] = None,
    run: Annotated[
        Optional[str], typer.Option(help="Run name; output goes to RUNS_DIR/RUN (default: a timestamp).")
    ] = None,
    runs_dir: Annotated[Path, typer.Option(help="Folder holding the runs.")] = Path(TrainOptions.runs_dir),
    preset: Annotated[
        str, typer.Option(help="'search' (Optuna search) or 'seed' (rerun the seed study's configurations).")
    ] = TrainOptions.preset,
    trials: Annotated[int, typer.Option(help="Number of search trials.")] = TrainOptions.trials,
    timeout: Annotated[
        Optional[float],
        typer.Option(help="The search's time in seconds: no trial starts after it, and one still training stops."),
    ] = TrainOptions.timeout,
    minutes: Annotated[
        Optional[float],
        typer.Option(
            help="The whole run's minutes: the search ends early enough for the final fit of its best trial, "
            f"timed by that trial, to end within them (0: no bound; default {RUN_MINUTES:g}, none under a "
            "100k-parameter or 100 KB budget)."
        ),
    ] = TrainOptions.minutes,
    epochs: Annotated[int, typer.Option(help="Epochs per search trial.")] = TrainOptions.epochs,
    final_epochs: Annotated[
        Optional[int],
        typer.Option(
            help="Epochs to retrain the best configuration for (default 50, or 150 under a 100k-parameter or "
            "100 KB budget)."
        ),
    ] = TrainOptions.final_epochs,
    augment: Annotated[
        Optional[float],
        typer.Option(
            help="Random affine distortion strength (0: off; default 0.6, or 0 under a 16k-parameter or 16 KB budget)."
        ),
    ] = None,
    elastic: Annotated[
        Optional[float],
        typer.Option(
            help="Elastic distortion: pixels of smooth random displacement (0: off; default "
            f"{ELASTIC_PX:g}, or 0 under a 16k-parameter or 16 KB budget)."
        ),
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed for the split, the sampler and training.")] = TrainOptions.seed,
    val_fraction: Annotated[
        float, typer.Option(help="Fraction of the training images held out for validation.")
    ] = TrainOptions.val_fraction,
    limit: Annotated[
        Optional[int], typer.Option(help="Use a stratified subset of this many training images (quick runs).")
    ] = None,
    max_params: Annotated[Optional[int], typer.Option(help="Never train configurations with more parameters.")] = None,
    max_kb: Annotated[
        Optional[float], typer.Option(help="Never train configurations whose int8 model exceeds this many KiB.")
    ] = None,
    storage: Annotated[
        Optional[str], typer.Option(help="Optuna storage URL (default: SQLite in the run folder).")
    ] = None,
    study: Annotated[
        Optional[str], typer.Option(help="Optuna study name (default: the run's): workers sharing --storage join it.")
    ] = None,
    resume: Annotated[bool, typer.Option(help="Continue an existing run folder.")] = False,
    force: Annotated[bool, typer.Option(help="Delete an existing run folder and start over.")] = False,
    fonts: Annotated[
        float,
        typer.Option(help="Digits rendered from installed fonts, as a share of the MNIST training images (0: off)."),
    ] = TrainOptions.fonts,
    flag_ones: Annotated[
        float, typer.Option(help="Share of the training 1s added again with a European flag (and foot) (0: off).")
    ] = TrainOptions.flag_ones,
    closed_fours: Annotated[
        float,
        typer.Option(help="Share of the training 4s tried again with a closed top, square to rounded (0: off)."),
    ] = TrainOptions.closed_fours,
    touching_pairs: Annotated[
        float,
        typer.Option(
            help="Two digits written into each other, read as one group and trained towards 'unsure', as a share "
            "of the training images (0: off)."
        ),
    ] = TrainOptions.touching_pairs,
    cut_pieces: Annotated[
        float,
        typer.Option(
            help="The number reader's cut pieces of two or three digits written touching, as a share of the "
            "training images: a piece that is one digit keeps its label, one of two is trained towards 'unsure' "
            "(0: off)."
        ),
    ] = TrainOptions.cut_pieces,
    non_digits: Annotated[
        float,
        typer.Option(help="Non-digit pictures trained towards 'unsure', as a share of the training part (0: off)."),
    ] = TrainOptions.non_digits,
    box_fill: Annotated[
        float,
        typer.Option(
            help="MNIST digits stretched to fill a square bitmap, as a share of the training images; font digits, "
            "flagged 1s and closed 4s at 5x that share of theirs (0: off)."
        ),
    ] = TrainOptions.box_fill,
    written: Annotated[
        float,
        typer.Option(
            help="MNIST digits written on paper (pen, light, crop, JPEG) and read back as the device reads them, "
            "as a share of the training images (0: off)."
        ),
    ] = TrainOptions.written,
    extra: Annotated[
        Optional[Path], typer.Option(help="Your own labelled digits: a folder of 0/ ... 9/ (see edgedigit collect).")
    ] = None,
    extra_repeat: Annotated[
        int, typer.Option(help="How many times each of your own digits counts in training.")
    ] = TrainOptions.extra_repeat,
    finetune: Annotated[
        Optional[Path],
        typer.Option(
            help="Fine-tune this run's model (or 'bundled': the model edgedigit ships) for --epochs epochs on the "
            "training mix and any --extra digits, instead of searching."
        ),
    ] = None,
    teacher: Annotated[
        Optional[Path],
        typer.Option(
            help="Distil from this trained model (a run folder or a .keras file): its softened "
            "probabilities join the training targets."
        ),
    ] = None,
    distill: Annotated[
        Optional[float],
        typer.Option(help="Share of the teacher's probabilities in each target (default 0.7 with --teacher)."),
    ] = None,
    distill_temperature: Annotated[
        float, typer.Option(help="Temperature that softens the teacher's probabilities.")
    ] = TrainOptions.distill_temperature,
    deskew: Annotated[
        Optional[bool],
        typer.Option(
            "--deskew/--no-deskew",
            help="Shear every picture upright before the model reads it, in training and (as the exported manifest "
            "says) on the device (default: on under a 100k-parameter or 100 KB budget, else off).",
        ),
    ] = None,
    moments: Annotated[
        Optional[bool],
        typer.Option(
            "--moments/--no-moments",
            help="Moment-normalize every picture (shear it upright, size it by its ink's spread, even out its "
            "aspect) before the model reads it, in training and on the device (default: on under a 100k-parameter "
            "or 100 KB budget, else off; it replaces --deskew).",
        ),
    ] = None,
    int8_grid: Annotated[
        Optional[bool],
        typer.Option(
            "--int8-grid/--no-int8-grid",
            help="Round the trained weights to the grid of their int8 export, so the float model and the int8 file "
            "share them (default: on).",
        ),
    ] = None,
) -> None:
    """Search for the best Keras MLP on MNIST (plus font digits, flagged 1s, non-digits) and save it with a report."""
    unused_options(ctx, finetune is not None, extra is not None, teacher is not None)
    needs_training_extras("train")
    quiet_tensorflow()
    from rich.console import Console

    from edgedigit.train.run import train as run_train

    opts = TrainOptions(
        data=str(data) if data else None, run=run, runs_dir=str(runs_dir), preset=preset, trials=trials,
        timeout=timeout, minutes=minutes, epochs=epochs, final_epochs=final_epochs, augment=augment, elastic=elastic,
        seed=seed,
        val_fraction=val_fraction, limit=limit, max_params=max_params, max_kb=max_kb, storage=storage, study=study,
        resume=resume, force=force, fonts=fonts, flag_ones=flag_ones, non_digits=non_digits, box_fill=box_fill,
        written=written, closed_fours=closed_fours, touching_pairs=touching_pairs, cut_pieces=cut_pieces,
        extra=str(extra) if extra else None, extra_repeat=extra_repeat, finetune=str(finetune) if finetune else None,
        teacher=str(teacher) if teacher else None, distill=distill, distill_temperature=distill_temperature,
        deskew=deskew, moments=moments, int8_grid=int8_grid,
    )  # fmt: skip
    if finetune is not None:
        from edgedigit.train.finetune import finetune as run_finetune

        run_finetune(opts, Console())
        return
    if run_train(opts, Console()).get("interrupted"):
        raise typer.Exit(130)  # stopped by Ctrl-C or SIGTERM; the run folder holds the best model so far


def unused_options(ctx: typer.Context, finetuning: bool, extra: bool, teacher: bool) -> None:
    """Options given where nothing would use them are usage errors, not quietly dropped: a search's settings with
    --finetune, --extra-repeat without --extra, --distill-temperature without --teacher."""
    if finetuning and (search := given(ctx, *SEARCH_ONLY)):
        raise UserError(f"{subject(search, 'steers', 'steer')} a search: --finetune trains RUN's model further, "
                        "for --epochs")  # fmt: skip
    if not extra and given(ctx, "extra_repeat"):
        raise UserError("--extra-repeat repeats your own digits: give --extra DIR too")
    if not teacher and given(ctx, "distill_temperature"):
        raise UserError("--distill-temperature softens a teacher's probabilities: give --teacher too")


@app.command()
@friendly
def export(
    ctx: typer.Context,
    source: Annotated[str, typer.Argument(help="A runs/NAME folder or a .keras file.")],
    int8: Annotated[bool, typer.Option("--int8", help="Full-integer int8 (uint8 input), the default.")] = False,
    float16: Annotated[bool, typer.Option("--float16", help="float16 weights.")] = False,
    dynamic: Annotated[bool, typer.Option("--dynamic", help="int8 weights, float activations.")] = False,
    float32: Annotated[bool, typer.Option("--float32", help="No quantization.")] = False,
    out: Annotated[Optional[Path], typer.Option(help="Output folder (default: export-MODE beside the model).")] = None,
    data: Annotated[
        Optional[Path], typer.Option(help="MNIST for calibration and parity (else $EDGEDIGIT_DATA, else download).")
    ] = None,
    calibration_size: Annotated[
        int, typer.Option(help="Training images used to calibrate int8.")
    ] = ExportOptions.calibration_size,
    seed: Annotated[int, typer.Option(help="Seed for picking calibration images.")] = ExportOptions.seed,
    max_drop: Annotated[
        float, typer.Option(help="Fail if accuracy drops by more than this many percentage points.")
    ] = ExportOptions.max_drop_pp,
    min_agreement: Annotated[
        float, typer.Option(help="Fail if top-1 agreement with the float model is below this percentage.")
    ] = ExportOptions.min_agreement * 100,
    parity: Annotated[
        bool, typer.Option("--parity/--no-parity", help="Check accuracy parity on the MNIST test set.")
    ] = True,
    c_array: Annotated[
        bool, typer.Option("--c-array", help="Also write model.h, the model as a C array for TensorFlow Lite Micro.")
    ] = False,
) -> None:
    """Convert a trained model to TFLite and prove its accuracy against the float model."""
    modes = [
        name for name, on in (("int8", int8), ("float16", float16), ("dynamic", dynamic), ("float32", float32)) if on
    ]
    if len(modes) > 1:
        raise UserError(f"choose one mode, got {' and '.join('--' + m for m in modes)}")
    if modes not in ([], ["int8"]) and (calibrating := given(ctx, "calibration_size", "seed")):
        raise UserError(
            f"{subject(calibrating, 'picks', 'pick')} the images int8 is calibrated on: --{modes[0]} has none"
        )
    if not parity and (gate := given(ctx, "max_drop", "min_agreement")):
        raise UserError(f"{subject(gate, 'bounds', 'bound')} the parity check: leave --no-parity out")
    needs_training_extras("export")
    quiet_tensorflow()
    from edgedigit.converters.export import export as run_export

    opts = ExportOptions(
        source=source, mode=modes[0] if modes else "int8", out=str(out) if out else None,
        data=str(data) if data else None, calibration_size=calibration_size, seed=seed, max_drop_pp=max_drop,
        min_agreement=min_agreement / 100.0, parity=parity, c_array=c_array,
    )  # fmt: skip
    result = run_export(opts)
    if result.failed:
        fail(
            "export gate failed: "
            + "; ".join(result.failed)
            + f" (manifest {result.model_path.with_suffix('.json')} marked as not passing)",
            1,
        )
