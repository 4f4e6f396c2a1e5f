"""What a screen shows of a frame: the region of interest, the digit boxes, the reading and the 28x28 pictures
the model saw, for `classify --camera --show` and `edgedigit serve`'s live view.
Device code: numpy and OpenCV only; it never imports TensorFlow, Keras, Optuna or matplotlib.
"""

from __future__ import annotations

import cv2
import numpy as np

from edgedigit.errors import UserError
from edgedigit.runtime.reader import Reading

INSET_ZOOM = 3  # the model's 28x28 inputs are drawn 84x84 in the top-right corner


def annotate(frame: np.ndarray, reading: Reading, roi: tuple[int, int, int, int] | None) -> np.ndarray:
    """A copy of `frame` with the ROI, the digit boxes, the reading and, in the top-right corner, the 28x28
    crops the model saw: what `--show` and `edgedigit serve`'s live view display."""
    view = frame.copy() if frame.ndim == 3 else cv2.cvtColor(frame, cv2.COLOR_GRAY2BGR)
    if roi:
        x, y, w, h = roi
        cv2.rectangle(view, (x, y), (x + w, y + h), (255, 128, 0), 1)
    for x, y, w, h in reading.boxes:
        cv2.rectangle(view, (x, y), (x + w, y + h), (0, 200, 0), 2)
    label = f"{reading.number} ({reading.confidence:.2f})" if reading.number else "no digit"
    cv2.putText(view, label, (10, 30), cv2.FONT_HERSHEY_SIMPLEX, 1.0, (0, 0, 255), 2)
    side = 28 * INSET_ZOOM
    for i, crop in enumerate(reading.crops):
        x0 = view.shape[1] - (i + 1) * (side + 4)
        if x0 < 0 or view.shape[0] < side + 4:
            break
        big = cv2.resize(crop, (side, side), interpolation=cv2.INTER_NEAREST)
        view[4 : 4 + side, x0 : x0 + side] = big[..., None]
    return view


def show(frame: np.ndarray, reading: Reading, roi: tuple[int, int, int, int] | None) -> bool:
    """The annotated frame in a window; True when q or Esc was pressed."""
    try:
        cv2.imshow("edgedigit", annotate(frame, reading, roi))
        return (cv2.waitKey(1) & 0xFF) in (ord("q"), 27)
    except cv2.error:
        raise UserError("--show needs an OpenCV build with GUI support (opencv-python, not -headless)") from None
