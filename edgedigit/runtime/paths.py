"""Choosing how a cut group reads: the path of candidate digits (`segment.Cuts`) that explains its atoms best,
scored by the model's probabilities less what each candidate's shape costs, and which of a group's cuttings
(leaning, straight, strokes) to believe.
Device code: numpy and OpenCV only; it never imports TensorFlow, Keras, Optuna or matplotlib.
"""

from __future__ import annotations

import math

import numpy as np

from edgedigit.runtime import slant
from edgedigit.runtime.segment import Cuts

# a connector atom (`segment.CONNECTOR_HEIGHT`: the stroke a fast hand draws from one digit to the next) may be
# left out of a path for this (number_accuracy.py: joined numbers 57.7 -> 63.0%; 0.5 and 2.0 gave 63.3 and 62.7%)
CONNECTOR_COST = 1.0
MIN_PROB = 1e-6  # floor under the log
LEFT_OUT = -2  # best_path's mark for a connector atom left out
CUT_SURE = 0.97  # a group is read as several digits only when the model gives each at least this
# a cut piece read as a 1 that leans back (its top to the left) further than this (`slant.slant`: x shift per row)
# is the stroke a fast hand draws from one digit's top to the next one's foot, not a 1: 99.5% of MNIST's training
# 1s lean back less than 0.35 (99% less than 0.30). Measured on /tmp seeds of benchmarks/number_sets.py: numbers
# written fast 207 -> 212 of 300 read right (0.3: 213, 0.5: 210); 1,680 numbers at every spacing 1,381 -> 1,380
BACKSLANT_ONE = 0.4


def best_cut(
    cuts: list[Cuts], probs: list[np.ndarray], sure: float, number: bool, alone: bool = False
) -> tuple[int, list[int]]:
    """Which of a group's over-segmentations (its leaning `cuts`, then its `straight_cuts` and `stroke_cuts`;
    with their candidates' `probs`) reads it best, and its `best_path`. Another than the first replaces the
    first's reading only with as many digits, or, when the first reads the group whole and the group is part of
    a `number`, with any: alone, a letter cut along columns gives sure 1s (benchmarks/field_accuracy.py:
    letters read as a digit 4.7 -> 16.0% if cut so alone). Strokes may replace any reading in a number, but
    their pieces must be read with CUT_SURE whatever `sure` is: against a doubtful group's lower bar, the
    leaning cuts' reading of digits written into each other merges two of them into one digit, and pieces of
    strokes read doubtfully are anything (number_accuracy.py, touching or overlapping 3 digits: 75.5% before
    strokes, 81.3% with strokes held to as many digits, 81.7% free; of 2,700 numbers of up to 4 digits, 65 and
    75 more read right net; with the lower bar for strokes too, numbers written fast fell 67.7 -> 65.7%).
    `alone`: the group may be digits though no number is around it (`Line.digits_alone`): strokes that read
    other than 1s may replace its whole reading."""
    first, best_score = _scored_path(cuts[0], probs[0], sure)
    best = 0, first
    for i in range(1, len(cuts)):
        path, score = _scored_path(cuts[i], probs[i], sure)
        stroked = cuts[i].how == "strokes"
        if score > best_score and (
            len(path) == len(first)
            or ((first == [0] or stroked) and number)
            or (stroked and alone and first == [0] and any(probs[i][k].argmax() != 1 for k in path))
        ):
            best, best_score = (i, path), score
    return best


def best_path(cut: Cuts, probs: np.ndarray, sure: float = CUT_SURE) -> list[int]:
    """Indices into `cut.spans` of the candidates that cover the group's atoms once, left to right, with
    the highest total score: the log-probability of each candidate's best class less its cost; a connector
    atom may be left out for CONNECTOR_COST. Only pieces the model reads with at least `sure` are used; with
    none that cover the group, it is read whole (textures and scribbles cut into pieces give some piece that
    looks like a digit; digits written touching give pieces that all do)."""
    return _scored_path(cut, probs, sure)[0]


def _scored_path(cut: Cuts, probs: np.ndarray, sure: float) -> tuple[list[int], float]:
    """`best_path` and its total score."""
    best_prob = probs.max(axis=1)
    score = np.log(np.maximum(best_prob, MIN_PROB)) - np.array(cut.costs)
    if cut.how == "strokes":
        sure = max(sure, CUT_SURE)  # strokes read doubtfully are anything (best_cut)
    score[1:][best_prob[1:] < sure] = -math.inf  # a path through a doubtful piece is never taken
    score[_joining_strokes(cut, probs, score)] = -math.inf
    n = len(cut.atoms)
    best = [0.0] + [-math.inf] * n
    back = [-1] * (n + 1)  # the candidate ending at each atom boundary, or LEFT_OUT for a connector
    ending: dict[int, list[int]] = {}
    for k, (_, j) in enumerate(cut.spans):
        ending.setdefault(j, []).append(k)
    for j in range(1, n + 1):
        for k in ending.get(j, []):
            i = cut.spans[k][0]
            if best[i] + score[k] > best[j]:
                best[j], back[j] = best[i] + score[k], k
        if cut.connectors[j - 1] and best[j - 1] - CONNECTOR_COST > best[j]:
            best[j], back[j] = best[j - 1] - CONNECTOR_COST, LEFT_OUT
    path, j = [], n
    while j > 0:
        if back[j] == LEFT_OUT:
            j -= 1
            continue
        path.append(back[j])
        j = cut.spans[back[j]][0]
    return path[::-1], best[n]


def _joining_strokes(cut: Cuts, probs: np.ndarray, score: np.ndarray) -> list[int]:
    """The cut pieces (not the whole group) still in play that read as a 1 leaning back beyond BACKSLANT_ONE."""
    return [
        k
        for k in range(1, len(score))
        if score[k] > -math.inf and probs[k].argmax() == 1 and slant.slant(cut.candidates[k].image)[0] > BACKSLANT_ONE
    ]
