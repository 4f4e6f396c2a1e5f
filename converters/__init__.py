"""The exporter: converts a trained Keras model to TFLite, validates it against the float model, reports.

Installed as `edgedigit.converters` (pyproject's package-dir maps this folder). It may import TensorFlow,
Keras, the runtime (to check the exported file the way the device will load it) and `edgedigit.train.data`
(the test set and calibration sample); it never imports Optuna or matplotlib: exporting neither searches nor
plots (tests/runtime/test_device_path.py enforces it).
"""
