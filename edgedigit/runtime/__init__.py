"""The device runtime: what runs on the Raspberry Pi (`classify`, `collect`, `bench`, `info`).

Loading and checking an exported model (`classifier`, `manifest`), decoding and preprocessing any picture
into MNIST-form digits (`preprocess`, `scene`), reading numbers (`segment`, `reader`), and the file and
camera front ends (`classify_files`, `camera`, `collect`, `bench`). It needs numpy, OpenCV and a TFLite
interpreter only, and must never import TensorFlow, Keras, Optuna or matplotlib, nor anything from
`edgedigit.train` or `edgedigit.converters` (tests/test_device_path.py enforces both).
"""
