"""edgedigit: train, quantize and deploy a handwritten-digit reader to small CPUs."""

__version__ = "0.1.0"
