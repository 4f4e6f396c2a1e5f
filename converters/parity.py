"""Accuracy parity between the float Keras model and an exported TFLite model.

The exported model is run through `edgedigit.runtime.classifier.Classifier`, the same code the device
uses, so the parity report speaks for what actually runs on the Pi.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Gate:
    """Bounds the export must meet: accuracy drop (percentage points) and top-1 agreement."""

    max_drop_pp: float = 0.3
    min_agreement: float = 0.995


def compare(y: np.ndarray, ref_probs: np.ndarray, exp_probs: np.ndarray) -> dict[str, Any]:
    """Accuracy of both, the drop, agreement, per-class accuracy and probability differences."""
    ref_pred, exp_pred = ref_probs.argmax(1), exp_probs.argmax(1)
    ref_acc, exp_acc = float((ref_pred == y).mean()), float((exp_pred == y).mean())
    diff = np.abs(ref_probs - exp_probs)
    per_class = {
        str(c): {
            "float": round(float((ref_pred[y == c] == c).mean()), 5),
            "exported": round(float((exp_pred[y == c] == c).mean()), 5),
        }
        for c in range(10)
        if (y == c).any()
    }
    return {
        "images": int(len(y)),
        "float_accuracy": round(ref_acc, 6),
        "exported_accuracy": round(exp_acc, 6),
        "drop_pp": round((ref_acc - exp_acc) * 100, 4),
        "agreement": round(float((ref_pred == exp_pred).mean()), 6),
        "per_class_accuracy": per_class,
        "prob_abs_diff_mean": round(float(diff.mean()), 6),
        "prob_abs_diff_max": round(float(diff.max()), 6),
    }


def check(metrics: dict[str, Any], gate: Gate) -> list[str]:
    """The bounds that failed, each as a sentence; empty when the export passes."""
    failed = []
    if metrics["drop_pp"] > gate.max_drop_pp:
        failed.append(f"accuracy drop {metrics['drop_pp']:.3f} pp > --max-drop {gate.max_drop_pp} pp")
    if metrics["agreement"] < gate.min_agreement:
        failed.append(f"top-1 agreement {metrics['agreement']:.4%} < --min-agreement {gate.min_agreement:.2%}")
    return failed
