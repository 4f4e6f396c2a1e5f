"""What an MLP costs: parameters, and bytes of its exported int8 TFLite file, without TensorFlow.

`--max-params` bounds the first and `--max-kb` the second, flatbuffer overhead included, so a budget means
the file a user copies to the device; the exporter checks the real file against it. The byte estimate is
a linear model fitted to int8 exports of MLPs from 16 to 445-358-518-16 units (benchmarks: Training),
with margin so that it is an upper bound.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

INPUT_SIDE = 28
NUM_CLASSES = 10
BYTES_PER_KIB = 1024
# An int8 export stores each weight in one byte; per output unit an int32 bias plus per-channel scales and
# zero points for weights and bias (float32 + int64 each); per layer an operator and its tensor records; once,
# the flatbuffer header, the input's quantize and rescale operators (the exporter strips tensor names and
# signatures). Fitted to 54 exports by benchmarks/int8_bytes.py: residuals within 82 bytes; INT8_FIXED_BYTES
# carries 300 bytes more than the fit, so the estimate bounds every file from above.
INT8_BYTES_PER_UNIT = 28
INT8_BYTES_PER_LAYER = 320
INT8_FIXED_BYTES = 1700
INT8_POOL_BYTES = 340  # the reshape and average-pool operators of a model that downsamples its input
INT8_CROP_BYTES = 500  # the slice that trims its rim
POOLS = (1, 2, 4)  # input downsampling inside the model: 28x28, 14x14 or 7x7 averages of the raw pixels
# pixels trimmed from each side of the input before pooling: an MNIST-form digit lies in the central 20x20 box,
# so a 4 px rim holds little ink, and 10x10 averages of the central 20x20 (crop 4, pool 2) read MNIST at 97.1%
# with 32 hidden units where 7x7 averages of all 28x28 read 94.3% with 26 (both fit 8 KB)
CROPS = (0, 4)
SMALL_BUDGET = 100_000  # parameters (or bytes): under this, the search may downsample the input inside the model
# parameters (or bytes): under this a network underfits, and random distortion makes it worse: a 7x7, 26-unit
# model (--max-kb 8) 93.66 -> 93.04% with it, a 14x14, 50-55 one (--max-kb 32) 97.54 -> 98.24% (40 epochs)
UNDERFIT_BUDGET = 16_384


def input_side(pool: int = 1, crop: int = 0) -> int:
    """The side of the square the first Dense layer reads: 28 less `crop` on each side, over `pool`."""
    return (INPUT_SIDE - 2 * crop) // pool


def count_params(hidden: Sequence[int], pool: int = 1, crop: int = 0) -> int:
    """Trainable parameters of the MLP side^2 -> hidden... -> 10 (weights plus biases)."""
    sizes = [input_side(pool, crop) ** 2, *hidden, NUM_CLASSES]
    return sum(a * b + b for a, b in zip(sizes, sizes[1:]))


def int8_file_bytes(hidden: Sequence[int], pool: int = 1, crop: int = 0) -> int:
    """An upper estimate of the int8 TFLite file `edgedigit export --int8` writes for this MLP."""
    units, layers = sum(hidden) + NUM_CLASSES, len(hidden) + 1
    weights = count_params(hidden, pool, crop) - units  # the biases are counted per unit
    fixed = INT8_FIXED_BYTES + (INT8_POOL_BYTES if pool > 1 else 0) + (INT8_CROP_BYTES if crop else 0)
    return weights + INT8_BYTES_PER_UNIT * units + INT8_BYTES_PER_LAYER * layers + fixed


def int8_kib(hidden: Sequence[int], pool: int = 1, crop: int = 0) -> float:
    return int8_file_bytes(hidden, pool, crop) / BYTES_PER_KIB


@dataclass(frozen=True)
class Budget:
    """What a model may cost: parameters (--max-params) and bytes of its int8 file (--max-kb)."""

    max_params: int | None = None
    max_bytes: int | None = None

    @classmethod
    def of(cls, max_params: int | None, max_kb: float | None) -> Budget:
        return cls(max_params, None if max_kb is None else int(max_kb * BYTES_PER_KIB))

    @property
    def bounded(self) -> bool:
        return self.max_params is not None or self.max_bytes is not None

    @property
    def small(self) -> bool:
        """Under SMALL_BUDGET parameters or bytes: input weights would eat most of it."""
        return self._under(SMALL_BUDGET)

    @property
    def underfits(self) -> bool:
        """Under UNDERFIT_BUDGET parameters or bytes: distortion defaults to off."""
        return self._under(UNDERFIT_BUDGET)

    def _under(self, limit: int) -> bool:
        return any(v is not None and v < limit for v in (self.max_params, self.max_bytes))

    def fits(self, hidden: Sequence[int], pool: int = 1, crop: int = 0) -> bool:
        return (self.max_params is None or count_params(hidden, pool, crop) <= self.max_params) and (
            self.max_bytes is None or int8_file_bytes(hidden, pool, crop) <= self.max_bytes
        )

    @property
    def pools(self) -> tuple[int, ...]:
        """The input downsamplings worth searching: all of POOLS under a small budget, where the input layer
        would eat most of it; none otherwise."""
        return POOLS if self.small else (1,)

    @property
    def crops(self) -> tuple[int, ...]:
        """The input rims worth searching: all of CROPS under a small budget, as for `pools`."""
        return CROPS if self.small else (0,)

    def describe(self) -> str:
        parts = [f"{self.max_params} parameters" if self.max_params is not None else "",
                 f"{self.max_bytes} bytes of int8 file" if self.max_bytes is not None else ""]  # fmt: skip
        return " and ".join(p for p in parts if p) or "no budget"
