"""The options of `edgedigit train` and `edgedigit export`, recorded verbatim in their outputs.

Kept free of TensorFlow so that the CLI can take its defaults from here without loading it.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from edgedigit.errors import UserError
from edgedigit.sizes import Budget, count_params, input_side, int8_file_bytes

ELASTIC_PX = 0.5
RUN_MINUTES = 30.0  # a search's whole run, final fit included (issue 12: the default run within 30 minutes on 2 cores),
# unless the budget is small: its 150-epoch final fit alone took up to 29 minutes (--max-kb 32, moments on the device)
FINAL_EPOCHS = 50  # the best configuration's final fit...
SMALL_FINAL_EPOCHS = 150  # ...under a small budget (sizes.SMALL_BUDGET), whose epochs cost a fraction of a big net's
# and which keeps learning long after 50 (32 KB, three seeds: 98.44% mean int8 at 50 epochs, 98.68% at 150)
# the field recipe (benchmarks/field_accuracy.py): shares of the MNIST training part added to it
FONT_SHARE = 0.1  # digits rendered from fonts: European 1s, closed 4s, straight-tailed 9s
FLAG_SHARE = 0.5  # of the training 1s, this share is added again with a flag (and sometimes a foot)
CLOSED_FOUR_SHARE = 1.0  # of the training 4s, this share is tried with a closed top (about a fifth can be)
TOUCHING_PAIR_SHARE = 0.05  # two digits written into each other, read as one group, trained towards "unsure"
CUT_PIECE_SHARE = 0.1  # the number reader's cut pieces of digits written touching: one digit read, two unsure
NON_DIGIT_SHARE = 0.1  # letters, scribbles, blots, textures, trained towards "unsure"
BOX_FILL_SHARE = 0.1  # digits stretched to fill a square bitmap (a 1 becomes a bold bar), as datasets store them
# MNIST digits written on paper and read back by the device's preprocessing (synth.written). 5-epoch fine-tunes
# of the previously bundled model (device700-field), int8, USPS at the worst crop: 98.31% before, 98.46% with
# 0.4, 98.54% with 0.8 (bundled since session 9; MNIST test 99.39%), 98.29% with 0.4 for 10 epochs: within
# about 0.15 pp of each other, all above the model they came from
WRITTEN_SHARE = 0.8
EXTRA_REPEAT = 20  # each of a user's own digits counts this many times (a few dozen among 60,000)
DISTILL_SHARE = 0.7  # with --teacher: the teacher's share of each target (the labels keep the rest)
DISTILL_TEMPERATURE = 2.0  # softens the teacher, so its runner-up classes carry something to learn from
# a small budget's models read their pictures sheared upright (edgedigit.runtime.slant): MNIST test, int8, 98.83 ->
# 99.00% at --max-kb 32 (mean of three seeds), 96.28 -> 97.08% at 8 (seed 0). The bundled size gains on real
# handwriting (USPS +0.2 pp) but loses on photos and numbers, two seeds each (a 7 sheared upright reads as a
# flagged 1, a slanted stroke cut off a digit as a 1)
DESKEW_SMALL, DESKEW_LARGE = True, False
# ...and since session 27 moment-normalized (edgedigit.runtime.slant.normalize_moments: sheared upright, then sized
# by the ink's spread with its aspect evened out), where deskewing alone is the fallback for --no-moments
MOMENTS_SMALL = True
# a trained model's weights are rounded to its int8 file's grid (edgedigit.train.model.snap_to_int8_grid): on the
# stored runs of every size (BENCHMARKS.md, Training, session 29) the int8 file then agrees with the float model on
# 99.91-100% of MNIST test (99.77-99.98% as trained) and loses 0.03 pp at most (0.07); the float model moved -0.04
# to +0.03 pp, the int8 file -0.01 to +0.03 pp
INT8_GRID = True


@dataclass(frozen=True)
class TrainOptions:
    """Every option of `edgedigit train`; recorded verbatim in summary.json."""

    data: str | None = None
    run: str | None = None
    runs_dir: str = "runs"
    preset: str = "search"
    trials: int = 16
    # the search's seconds: with data (~1.5 min) and the 50-epoch final fit (8-14 min), a default run took 23-28
    # minutes on the project's 2-core machine (BENCHMARKS.md); both seed-0 runs had found their winner by 700 s
    timeout: float | None = 780.0
    minutes: float | None = None
    epochs: int = 10
    final_epochs: int | None = None
    augment: float | None = None
    elastic: float | None = None
    seed: int = 0
    val_fraction: float = 0.1
    limit: int | None = None
    max_params: int | None = None
    max_kb: float | None = None
    storage: str | None = None
    study: str | None = None
    resume: bool = False
    force: bool = False
    fonts: float = FONT_SHARE
    flag_ones: float = FLAG_SHARE
    non_digits: float = NON_DIGIT_SHARE
    box_fill: float = BOX_FILL_SHARE
    written: float = WRITTEN_SHARE
    extra: str | None = None
    extra_repeat: int = EXTRA_REPEAT
    closed_fours: float = CLOSED_FOUR_SHARE
    touching_pairs: float = TOUCHING_PAIR_SHARE
    cut_pieces: float = CUT_PIECE_SHARE
    finetune: str | None = None
    teacher: str | None = None
    distill: float | None = None
    distill_temperature: float = DISTILL_TEMPERATURE
    deskew: bool | None = None
    moments: bool | None = None
    int8_grid: bool | None = None

    def check(self) -> None:
        """Every option checked before any work starts: one clear line for the first that is wrong."""
        if self.preset not in ("search", "seed"):
            raise UserError(f"--preset must be 'search' or 'seed', got {self.preset!r}")
        for name in ("trials", "epochs", "final_epochs"):
            if (value := getattr(self, name)) is not None and value < 1:
                raise UserError(f"--{name.replace('_', '-')} must be at least 1")
        if self.minutes is not None and self.minutes < 0:
            raise UserError("--minutes must be 0 (no bound) or positive")
        if self.resume and self.force:
            raise UserError("--resume and --force contradict each other: pick one")
        pool, crop = max(self.budget.pools), max(self.budget.crops)  # the smallest model the search may build
        if not self.budget.fits([16], pool, crop):
            side = input_side(pool, crop)
            smallest = (f"16 hidden units on {side}x{side} inputs: {count_params([16], pool, crop)} parameters, "
                        f"{int8_file_bytes([16], pool, crop)} bytes of int8 file")  # fmt: skip
            raise UserError(f"the budget ({self.budget.describe()}) is below the smallest MLP ({smallest})")
        for name in ("augment", "elastic"):
            if (getattr(self, name) or 0) < 0:
                raise UserError(f"--{name} must be 0 (off) or positive")
        shares = [
            "fonts",
            "flag_ones",
            "closed_fours",
            "touching_pairs",
            "cut_pieces",
            "non_digits",
            "box_fill",
            "written",
        ]
        for name in shares:
            if not 0 <= getattr(self, name) <= 1:
                raise UserError(f"--{name.replace('_', '-')} must be a share between 0 (off) and 1")
        if self.extra_repeat < 1:
            raise UserError("--extra-repeat must be at least 1")
        if self.distill is not None and not 0 <= self.distill <= 1:
            raise UserError("--distill must be a share between 0 (off) and 1")
        if self.distill_temperature <= 0:
            raise UserError("--distill-temperature must be positive")
        if self.distill and not self.teacher:
            raise UserError("--distill needs --teacher: the model to distil from")
        if self.deskew and self.preset == "seed":
            raise UserError("--deskew applies to a search: --preset seed reruns the notebook's configurations as is")
        if self.moments and self.preset == "seed":
            raise UserError("--moments applies to a search: --preset seed reruns the notebook's configurations as is")
        if self.moments and self.deskew:
            raise UserError("--moments shears every picture upright itself: leave --deskew out")
        if self.teacher and self.preset == "seed":
            raise UserError("--teacher applies to a search: --preset seed reruns the notebook's configurations as is")
        if self.teacher and self.teacher_file is None:
            raise UserError(f"--teacher {self.teacher}: neither a .keras file nor a run folder holding model.keras")
        if self.limit is not None and self.limit < 200:
            raise UserError("--limit must be at least 200 images (20 a class)")

    def recorded(self) -> dict[str, Any]:
        """The options as written into the run folder: the storage URL's password left out."""
        return {**asdict(self), "storage": redact(self.storage)}

    def resolved(self) -> dict[str, Any]:
        """The settings whose defaults depend on other options, as the run applies them (summary.json's `resolved`)."""
        return {
            "augment": self.augment_strength,
            "elastic": self.elastic_strength,
            "final_epochs": self.final_epochs_count,
            "distill": self.distill_share,
            "deskew": self.deskew_on,
            "moments": self.moments_on,
            "int8_grid": self.int8_grid_on,
            "minutes": self.run_minutes,
            "teacher": str(self.teacher_file) if self.teacher_file else None,
            "max_params": self.budget.max_params,
            "max_int8_bytes": self.budget.max_bytes,
        }

    @property
    def final_epochs_count(self) -> int:
        """--final-epochs as given; unset: FINAL_EPOCHS, or SMALL_FINAL_EPOCHS under a small budget."""
        if self.final_epochs is not None:
            return self.final_epochs
        return SMALL_FINAL_EPOCHS if self.budget.small else FINAL_EPOCHS

    @property
    def run_minutes(self) -> float | None:
        """--minutes as given (0: no bound); unset: RUN_MINUTES for a search, none under a small budget or for the
        seed preset (which reruns its configurations to the end)."""
        if self.minutes is not None:
            return self.minutes or None
        return None if self.budget.small or self.preset == "seed" else RUN_MINUTES

    @property
    def augment_strength(self) -> float:
        """--augment as given; unset: 0.6, or 0 under a budget so small the network underfits."""
        if self.augment is not None:
            return self.augment
        return 0.0 if self.budget.underfits else 0.6

    @property
    def elastic_strength(self) -> float:
        """--elastic as given; unset: ELASTIC_PX, or 0 under a budget so small the network underfits."""
        if self.elastic is not None:
            return self.elastic
        return 0.0 if self.budget.underfits else ELASTIC_PX

    @property
    def moments_on(self) -> bool:
        """--moments / --no-moments as given; unset: MOMENTS_SMALL for a small budget's search that --deskew does
        not ask to deskew alone, else off (the notebook's configurations of the seed preset, as they were)."""
        if self.moments is not None:
            return self.moments
        return MOMENTS_SMALL and self.budget.small and self.preset == "search" and not self.deskew

    @property
    def int8_grid_on(self) -> bool:
        """--int8-grid / --no-int8-grid as given; unset: INT8_GRID."""
        return INT8_GRID if self.int8_grid is None else self.int8_grid

    @property
    def deskew_on(self) -> bool:
        """--deskew / --no-deskew as given; unset: DESKEW_SMALL or DESKEW_LARGE for a search whose pictures are not
        moment-normalized (which shears them upright itself), off for the seed preset (the notebook's
        configurations, as they were)."""
        if self.deskew is not None:
            return self.deskew
        return (DESKEW_SMALL if self.budget.small else DESKEW_LARGE) and self.preset == "search" and not self.moments_on

    @property
    def distill_share(self) -> float:
        """--distill as given; unset: DISTILL_SHARE with a --teacher, else 0."""
        if self.distill is not None:
            return self.distill
        return DISTILL_SHARE if self.teacher else 0.0

    @property
    def teacher_file(self) -> Path | None:
        """The teacher's .keras file: --teacher itself, or the model.keras of the run folder it names."""
        if not self.teacher:
            return None
        path = Path(self.teacher).expanduser()
        path = path / "model.keras" if path.is_dir() else path
        return path if path.is_file() and path.suffix == ".keras" else None

    @property
    def budget(self) -> Budget:
        """--max-params and --max-kb (bytes of the exported int8 file, flatbuffer overhead included)."""
        return Budget.of(self.max_params, self.max_kb)


def redact(url: str | None) -> str | None:
    """A storage URL with its password replaced by ***, for files and messages."""
    return None if url is None else re.sub(r"(://[^:/@]*:)[^/]*@", r"\1***@", url)


@dataclass(frozen=True)
class ExportOptions:
    """Every option of `edgedigit export`; recorded in the manifest."""

    source: str
    mode: str = "int8"
    out: str | None = None
    data: str | None = None
    calibration_size: int = 1000
    seed: int = 0
    max_drop_pp: float = 0.3
    min_agreement: float = 0.995
    parity: bool = True
    c_array: bool = False  # also model.h: the model as a C array for TensorFlow Lite Micro

    def check(self) -> None:
        """Every option checked before any work starts: one clear line for the first that is wrong."""
        if self.calibration_size < 1:
            raise UserError("--calibration-size must be at least 1")
        if not self.max_drop_pp >= 0:  # also NaN
            raise UserError(f"--max-drop must be 0 or more (percentage points), got {self.max_drop_pp}")
        if not 0 < self.min_agreement <= 1:
            raise UserError(
                f"--min-agreement must be a percentage above 0 and at most 100, got {100 * self.min_agreement:g}"
            )
