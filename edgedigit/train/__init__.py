"""The trainer: `edgedigit train` on a workstation, never on the device.

MNIST and the field mix (`data`, `drawing`, `synth`, `negatives`, `pieces`, `field_mix`), the Keras MLP and
its training (`config`, `model`, `augment`, `fit`), the Optuna search, its study and the run folder (`search`,
`studies`, `run_folder`, `run`, `best_model`, `interrupts`, `finetune`), and their reports (`run_summary`,
`report`, `progress`). It may use TensorFlow, Keras, Optuna and matplotlib, and uses the runtime's preprocessing
(`edgedigit.runtime.preprocess`, `edgedigit.runtime.slant`) so that training images are made exactly as the
device makes them; it must never import `edgedigit.converters` (the exporter).
"""
