"""Segmentation by recognition, the model's part: neighbouring groups a broken stroke parted read together
(`rejoined`), and groups that may be digits written touching cut (`segment`), their candidate digits scored in
batches and each group read along the path that explains it best (`cut`, `paths`).
Device code: numpy and OpenCV only; it never imports TensorFlow, Keras, Optuna or matplotlib.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from edgedigit.runtime import layout, paths, segment
from edgedigit.runtime.classifier import Classifier
from edgedigit.runtime.preprocess import Digit, Page

# a blob of digits written into each other, with a sure digit beside it on its line, is read along its best cut
# even when no cut has every piece sure (paths.CUT_SURE): it is part of a number, and read whole it would be no
# digit at all; its pieces then face the confidence bar like any digit of a number (reader.IN_NUMBER_SHARE), which
# drops the doubtful ones (number_accuracy.py: +0.9 pp exact with a bar of 0.5 on the pieces; with none, numbers written
# fast 62.7 -> 65.0% and the main set 74.1 -> 74.8% on a 560-number screen, non-digit pictures unchanged: a blob
# alone, a letter or a scribble, is never read this way). A blob alone wider than any one digit (layout.MAX_WIDTH),
# such as a whole number written fast, its digits joined by the pen, is read along its best cut whose pieces all
# read at least IN_NUMBER_CUT_SURE (number_accuracy.py: joined numbers 51.7 -> 57.7%, 63.0% with
# paths.CONNECTOR_COST; per digit on the main set 86.7 -> 88.8% and non-digit pictures read as a digit 15.1 ->
# 15.4% with both; with no bar there, scribbles read as a digit rose 44.7 -> 47.7%)
NUMBER_CONTEXT = 0.9
BESIDE_DIGITS_CUT_SURE = 0.0
IN_NUMBER_CUT_SURE = 0.5


def rejoined(
    page: Page, groups: list[tuple[int, layout.Line, layout.Group]], probs: np.ndarray, classifier: Classifier
) -> tuple[list[tuple[int, layout.Line, layout.Group]], np.ndarray]:
    """`groups` (line, its Line, group; with their raw `probs`) with neighbours on a line that may be one digit
    (`layout.Line.rejoined`), one of them doubtful (REJOIN_DOUBT), made one group where the model reads them
    together surely (REJOIN_SURE) and surer than both apart (the product of their probabilities); their unions
    are scored in one more batch."""
    best = probs.max(axis=1)
    unions = {}
    for k in range(len(groups) - 1):
        (n, line, left), (m, _, right) = groups[k], groups[k + 1]
        if n == m and min(best[k], best[k + 1]) < layout.REJOIN_DOUBT:
            union = line.rejoined(page, left, right)
            if union is not None:
                unions[k] = union
    if not unions:
        return groups, probs
    read = classifier.predict_proba(np.array([g.whole.image for g in unions.values()]), calibrated=False)
    joined = {}
    for (k, union), p in zip(unions.items(), read):
        if p.max() >= layout.REJOIN_SURE and p.max() > best[k] * best[k + 1] and k - 1 not in joined:
            joined[k] = union, p
    if not joined:
        return groups, probs
    kept: dict[int, list[tuple[layout.Group, np.ndarray]]] = {}  # per line, its groups left to right
    k = 0
    while k < len(groups):
        union, p = joined.get(k, (groups[k][2], probs[k]))
        kept.setdefault(groups[k][0], []).append((union, p))
        k += 2 if k in joined else 1
    lines = {n: replace(line, groups=[g for g, _ in kept[n]]) for n, line, _ in groups}
    out = [(n, lines[n], g) for n, members in kept.items() for g, _ in members]
    return out, np.array([p for members in kept.values() for _, p in members])


def cut(
    page: Page,
    labels: np.ndarray,
    groups: list[tuple[int, layout.Line, layout.Group]],
    probs: np.ndarray,
    doubtful: list[int],
    classifier: Classifier,
    fast_writing: bool,
) -> tuple[list[Digit], list[int], np.ndarray]:
    """The `doubtful` groups over-segmented (`segment.cuts`), their candidate digits scored in one batch
    and each group read along its best path. A group its leaning cuts leave whole is cut again along straight
    ones (one more batch) and read along the better of the two; one they still leave whole is cut into its
    strokes (one more batch), which compete with a doubtful group's lower bar (`paths.best_cut`). Returns
    every group's digits, their lines and their probabilities, left to right. `fast_writing`: whether digits
    may be joined by connecting strokes, a blob too wide for one digit then a number."""
    cuts = {k: [segment.cuts(page, labels, *groups[k][1:], probs[k].max(), fast_writing)] for k in doubtful}
    scores = _scored(cuts, probs, classifier)
    chosen = {k: (0, paths.best_path(cuts[k][0], scores[k][0])) for k in doubtful}  # (lattice, path)
    number = {k: groups[k][1].holds_number(groups[k][2]) for k in doubtful}
    whole = [k for k in doubtful if chosen[k][1] == [0]]
    straight = {
        k: segment.straight_cuts(page, labels, *groups[k][1:], cuts[k][0], probs[k].max(), fast_writing) for k in whole
    }
    for k in _cut_again(straight, cuts, scores, probs, classifier):
        chosen[k] = paths.best_cut(cuts[k], scores[k], paths.CUT_SURE, number[k])
    whole = [k for k in whole if chosen[k][1] == [0]]
    # not where a line drawn under the digits was left in: its strokes, cut into bands, join pieces of every digit
    stroked = {k: segment.stroke_cuts(page, labels, *groups[k][1:], probs[k].max()) for k in whole if fast_writing}
    read = dict(chosen)  # each group's reading at CUT_SURE, its strokes too: whether it is sure digits
    alone = {k: groups[k][1].digits_alone(groups[k][2], probs[k].max()) for k in stroked}
    for k in _cut_again(stroked, cuts, scores, probs, classifier):
        read[k] = paths.best_cut(cuts[k], scores[k], paths.CUT_SURE, number[k], alone[k])
    sure = [probs[k].max() >= NUMBER_CONTEXT or len(read.get(k, (0, [0]))[1]) > 1 for k in range(len(groups))]
    digits, line_of, rows = [], [], []
    for k, (n, line, group) in enumerate(groups):
        if k not in cuts:
            digits.append(group.whole)
            line_of.append(n)
            rows.append(probs[k])
            continue
        lattice, path = chosen[k]
        wide = fast_writing and line.too_wide(group)
        if path == [0]:
            bar = paths.CUT_SURE
            if line.written_into(group, probs[k].max()):
                in_number = _in_number(k, groups, sure)
                if wide or in_number:
                    bar = BESIDE_DIGITS_CUT_SURE if in_number else IN_NUMBER_CUT_SURE
            lattice, path = paths.best_cut(cuts[k], scores[k], bar, number[k], alone.get(k, False))
        for i in path:
            digits.append(cuts[k][lattice].candidates[i])
            line_of.append(n)
            rows.append(scores[k][lattice][i])
    return digits, line_of, np.array(rows)


def _cut_again(
    more: dict[int, segment.Cuts | None],
    cuts: dict[int, list[segment.Cuts]],
    scores: dict[int, list[np.ndarray]],
    probs: np.ndarray,
    classifier: Classifier,
) -> list[int]:
    """Another over-segmentation of some groups (`more`, None where there is none) added to their `cuts`, its
    candidates scored in one batch and added to their `scores`. Returns the groups it was added to."""
    again = {k: [cut] for k, cut in more.items() if cut is not None}
    for k, scored in _scored(again, probs, classifier).items():
        cuts[k] += again[k]
        scores[k] += scored
    return list(again)


def _scored(
    cuts: dict[int, list[segment.Cuts]], probs: np.ndarray, classifier: Classifier
) -> dict[int, list[np.ndarray]]:
    """The raw probabilities of every candidate of each group's `cuts`, scored in one batch; the whole group's,
    read already (`probs`), first."""
    pieces = [d.image for lattices in cuts.values() for cut in lattices for d in cut.candidates[1:]]
    piece_probs = classifier.predict_proba(np.array(pieces), calibrated=False) if pieces else probs[:0]
    scores, start = {}, 0
    for k, lattices in cuts.items():
        scores[k] = []
        for cut in lattices:
            count = len(cut.candidates) - 1
            scores[k].append(np.concatenate([probs[k : k + 1], piece_probs[start : start + count]]))
            start += count
    return scores


def _in_number(k: int, groups: list[tuple[int, layout.Line, layout.Group]], sure: list[bool]) -> bool:
    """Whether another group on group `k`'s line is `sure` digits (read whole as one, or cut into sure pieces):
    `k` is then part of a number."""
    return any(m == groups[k][0] and j != k and sure[j] for j, (m, _, _) in enumerate(groups))
