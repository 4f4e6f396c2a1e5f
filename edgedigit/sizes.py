"""What an MLP costs: parameters, and bytes of its exported int8 TFLite file, without TensorFlow.

`--max-params` bounds the first and `--max-kb` the second, flatbuffer overhead included, so a budget means
the file a user copies to the device; the exporter checks the real file against it. The byte estimate is
a linear model fitted to int8 exports of MLPs from 16 to 445-358-518-16 units (benchmarks: Training),
with margin so that it is an upper bound.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

INPUT_PIXELS = 28 * 28
NUM_CLASSES = 10
BYTES_PER_KIB = 1024
# An int8 export stores each weight in one byte; per output unit an int32 bias plus per-channel scales and
# zero points for weights and bias (float32 + int64 each); per layer an operator, tensor records and names;
# once, the flatbuffer header, the input, rescaling and reshape operators. Fitted residuals were within
# 600 bytes; INT8_FIXED_BYTES carries about 800 bytes of slack.
INT8_BYTES_PER_UNIT = 29
INT8_BYTES_PER_LAYER = 330
INT8_FIXED_BYTES = 4000
INT8_POOL_BYTES = 900  # the reshape and average-pool operators of a model that downsamples its input
POOLS = (1, 2, 4)  # input downsampling inside the model: 28x28, 14x14 or 7x7 averages of the raw pixels
SMALL_BUDGET = 100_000  # parameters (or bytes): under this, the search may downsample the input inside the model
# parameters (or bytes): under this a network underfits, and random distortion makes it worse: a 7x7, 26-unit
# model (--max-kb 8) 93.66 -> 93.04% with it, a 14x14, 50-55 one (--max-kb 32) 97.54 -> 98.24% (40 epochs)
UNDERFIT_BUDGET = 16_384


def count_params(hidden: Sequence[int], pool: int = 1) -> int:
    """Trainable parameters of the MLP (28/pool)^2 -> hidden... -> 10 (weights plus biases)."""
    sizes = [INPUT_PIXELS // pool**2, *hidden, NUM_CLASSES]
    return sum(a * b + b for a, b in zip(sizes, sizes[1:]))


def int8_file_bytes(hidden: Sequence[int], pool: int = 1) -> int:
    """An upper estimate of the int8 TFLite file `edgedigit export --int8` writes for this MLP."""
    units, layers = sum(hidden) + NUM_CLASSES, len(hidden) + 1
    weights = count_params(hidden, pool) - units  # the biases are counted per unit
    fixed = INT8_FIXED_BYTES + (INT8_POOL_BYTES if pool > 1 else 0)
    return weights + INT8_BYTES_PER_UNIT * units + INT8_BYTES_PER_LAYER * layers + fixed


def int8_kib(hidden: Sequence[int], pool: int = 1) -> float:
    return int8_file_bytes(hidden, pool) / BYTES_PER_KIB


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

    def fits(self, hidden: Sequence[int], pool: int = 1) -> bool:
        return (self.max_params is None or count_params(hidden, pool) <= self.max_params) and (
            self.max_bytes is None or int8_file_bytes(hidden, pool) <= self.max_bytes
        )

    @property
    def pools(self) -> tuple[int, ...]:
        """The input downsamplings worth searching: all of POOLS under a small budget, where the input layer
        would eat most of it; none otherwise."""
        return POOLS if self.small else (1,)

    def describe(self) -> str:
        parts = [f"{self.max_params} parameters" if self.max_params is not None else "",
                 f"{self.max_bytes} bytes of int8 file" if self.max_bytes is not None else ""]  # fmt: skip
        return " and ".join(p for p in parts if p) or "no budget"
