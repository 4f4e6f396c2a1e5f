"""The device runtime: what runs on the Raspberry Pi (`classify`, `collect`, `bench`, `info`, `serve`).

Loading and checking an exported model (`classifier`, `manifest`) and reading a doubtful digit again
(`second_look`), decoding and preprocessing any picture into MNIST-form digits (`decode`, `preprocess`,
`grouping`, `ruling`, `mnist_form`, `scene`, `frames`) and standing them upright (`slant`), reading numbers
(`layout`, `segment`, `strokes`, `paths`, `recognition`, `reader`, `dates`), the file and camera front ends
(`classify_files`, `camera`, `picam`, `collect`, `bench`), and the service around them (`serve`, `serve_handler`,
`serve_page`, `mqtt`, `systemd`).
It needs numpy, OpenCV and a TFLite interpreter only (paho-mqtt and picamera2 where those features are used), and
must never import TensorFlow, Keras, Optuna or matplotlib, nor anything from `edgedigit.train` or
`edgedigit.converters` (tests/runtime/test_device_path.py enforces both).

The names below are the runtime's public API, for a program that reads digits itself; the modules behind
them may change.

Example:
    >>> from edgedigit.runtime import Classifier, read_digits, read_image
    >>> reading = read_digits(read_image("edgedigit/samples/number_2026.jpg"), Classifier())
    >>> reading.number, len(reading.digits)
    ('2026', 4)
"""

from edgedigit.runtime.classifier import Classifier
from edgedigit.runtime.decode import read_image
from edgedigit.runtime.preprocess import Digit, find_digits
from edgedigit.runtime.reader import Reading, read_digits

__all__ = ["Classifier", "Digit", "Reading", "find_digits", "read_digits", "read_image"]
