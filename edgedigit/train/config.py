"""One training configuration: every knob the trainer applies, so it can be recorded as-is.

Kept free of TensorFlow so that budgets, reports and the CLI can use it cheaply.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

from edgedigit.sizes import CROPS, POOLS

OPTIMIZERS = ("sgd", "adam", "adamw")
SCHEDULES = ("constant", "cosine", "inverse_time")


@dataclass(frozen=True)
class TrainConfig:
    """Hyperparameters of one MLP and its training run.

    `lr_decay` is the seed study's Keras-2 `decay`: lr / (1 + lr_decay * step), used with
    schedule "inverse_time". `weight_decay` is decoupled weight decay applied by the optimizer.
    `augment` is the strength of random affine distortion (0 turns it off); `elastic` the amplitude
    in pixels of elastic distortion (0 turns it off). `pool` averages the raw 28x28 input over pool x pool
    blocks inside the model (1: none; 2: 14x14; 4: 7x7), so a small budget buys hidden units, not inputs;
    `crop` trims that many pixels off each side first (4 with pool 2: 10x10 averages of the central 20x20).
    `distill` is the share of a teacher model's probabilities, softened by `distill_temperature`, in each
    training target (0: the labels alone; the teacher is handed to `fit`, it is not part of the config).
    `deskew` shears every picture upright (`edgedigit.runtime.slant`) before the model reads it, in training
    and, as the exported manifest says, on the device. `moments` shears it upright the same way and scales it by
    its ink's moments to a standard size and aspect (`slant.normalize_moments`); it replaces `deskew`.
    """

    hidden: tuple[int, ...] = (512, 512)
    activation: str = "relu"
    dropout: float = 0.25
    optimizer: str = "adam"
    learning_rate: float = 1e-3
    momentum: float = 0.0
    nesterov: bool = False
    weight_decay: float = 0.0
    schedule: str = "cosine"
    lr_decay: float = 0.0
    batch_size: int = 128
    epochs: int = 20
    augment: float = 1.0
    elastic: float = 0.0
    label_smoothing: float = 0.0
    pool: int = 1
    crop: int = 0
    distill: float = 0.0
    distill_temperature: float = 1.0
    deskew: bool = False
    moments: bool = False

    def __post_init__(self) -> None:
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"optimizer must be one of {OPTIMIZERS}, got {self.optimizer!r}")
        if self.schedule not in SCHEDULES:
            raise ValueError(f"schedule must be one of {SCHEDULES}, got {self.schedule!r}")
        if not self.hidden or any(u < 1 for u in self.hidden):
            raise ValueError(f"hidden layers need at least one unit each, got {self.hidden}")
        if not 0.0 <= self.dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {self.dropout}")
        if self.momentum and self.optimizer != "sgd":
            raise ValueError("momentum applies to the sgd optimizer only")
        if self.augment < 0 or self.elastic < 0:
            raise ValueError("augment and elastic must be 0 (off) or positive")
        if not 0.0 <= self.distill <= 1.0 or self.distill_temperature <= 0:
            raise ValueError("distill must be a share in [0, 1] and distill_temperature positive")
        if self.pool not in POOLS:
            raise ValueError(f"pool must be one of {POOLS}, got {self.pool}")
        if self.crop not in CROPS:
            raise ValueError(f"crop must be one of {CROPS}, got {self.crop}")
        if self.deskew and self.moments:
            raise ValueError("moments shears pictures upright itself: deskew and moments exclude each other")
        if self.batch_size < 1 or self.epochs < 1 or self.learning_rate <= 0:
            raise ValueError("batch_size, epochs and learning_rate must be positive")

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["hidden"] = list(self.hidden)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> TrainConfig:
        known = {f.name for f in fields(cls)}
        kwargs = {k: v for k, v in d.items() if k in known}
        kwargs["hidden"] = tuple(kwargs.get("hidden", cls.hidden))
        return cls(**kwargs)

    @property
    def label(self) -> str:
        view = (f"crop{self.crop}-" if self.crop else "") + (f"pool{self.pool}-" if self.pool > 1 else "")
        return view + "-".join(str(u) for u in self.hidden)
