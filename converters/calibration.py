"""Temperature scaling and expected calibration error, for confidences that mean what they say.

A trained network's softmax is over-confident (and an int8 softmax output saturates: runner-up classes
read 0.00). The exporter therefore ships logits, and one scalar T, fitted on the run's validation split by
minimising the negative log-likelihood (Guo et al., 2017), divides them on the device before the softmax.
Argmax, hence accuracy, is unchanged; a 0.9 then means right about nine times in ten.
"""

from __future__ import annotations

import math

import numpy as np

from edgedigit.runtime.classifier import LOG_FLOOR  # the floor the runtime's own calibrate() uses

ECE_BINS = 15  # equal-width confidence bins, the usual choice for ECE
T_RANGE = (0.05, 20.0)  # bounds of the search for T, far beyond any network's over- or under-confidence
T_STEPS = 60  # golden-section steps: |log T| narrowed to ~1e-12 of the range, far below any visible change
# a validation split read with fewer mistakes than this cannot place T: with none, the NLL falls for ever as T goes to
# 0 (a fine-tune of the bundled model with --limit 2000, its 200 validation digits all read right, fitted T = 0.07 and
# printed every runner-up as 0), so T stays 1
MIN_ERRORS = 10


def log_probs(probs: np.ndarray) -> np.ndarray:
    """Log-probabilities from softmax outputs: the logits up to a per-row shift, which softmax ignores."""
    return np.log(np.maximum(probs.astype(np.float64), LOG_FLOOR))


def soften(logits: np.ndarray, temperature: float) -> np.ndarray:
    """softmax(logits / T), row by row."""
    z = logits / temperature
    z = np.exp(z - z.max(axis=1, keepdims=True))
    return z / z.sum(axis=1, keepdims=True)


def nll(logits: np.ndarray, labels: np.ndarray, temperature: float) -> float:
    """Mean negative log-likelihood of the labels under softmax(logits / T)."""
    z = logits / temperature
    z = z - z.max(axis=1, keepdims=True)
    log_norm = np.log(np.exp(z).sum(axis=1))
    return float(np.mean(log_norm - z[np.arange(len(labels)), labels]))


def temperature_for(logits: np.ndarray, labels: np.ndarray) -> tuple[float, str | None]:
    """The fitted T (`fit_temperature`), or 1 with the reason when the split holds too few mistakes to place it."""
    errors = int(np.count_nonzero(logits.argmax(axis=1) != labels))
    if errors < MIN_ERRORS:
        return 1.0, (f"not fitted: the validation split holds {errors} misread digits and {MIN_ERRORS} are needed to "
                     "place T (with none, the likelihood grows as T goes to 0); T = 1")  # fmt: skip
    return fit_temperature(logits, labels), None


def fit_temperature(logits: np.ndarray, labels: np.ndarray) -> float:
    """The T that minimises the validation NLL (a golden-section search over log T; NLL is unimodal in it)."""
    lo, hi = math.log(T_RANGE[0]), math.log(T_RANGE[1])
    ratio = (math.sqrt(5) - 1) / 2
    a, b = hi - ratio * (hi - lo), lo + ratio * (hi - lo)
    fa, fb = nll(logits, labels, math.exp(a)), nll(logits, labels, math.exp(b))
    for _ in range(T_STEPS):
        if fa < fb:
            hi, b, fb = b, a, fa
            a = hi - ratio * (hi - lo)
            fa = nll(logits, labels, math.exp(a))
        else:
            lo, a, fa = a, b, fb
            b = lo + ratio * (hi - lo)
            fb = nll(logits, labels, math.exp(b))
    return math.exp((lo + hi) / 2)


def ece(probs: np.ndarray, labels: np.ndarray, bins: int = ECE_BINS) -> float:
    """Expected calibration error: the gap between confidence and accuracy, averaged over confidence bins
    weighted by how many predictions fall in each."""
    confidence, predicted = probs.max(axis=1), probs.argmax(axis=1)
    right = predicted == labels
    which = np.minimum((confidence * bins).astype(int), bins - 1)
    total = 0.0
    for b in range(bins):
        members = which == b
        if members.any():
            total += members.sum() * abs(right[members].mean() - confidence[members].mean())
    return float(total / len(labels))
