"""The versions an artifact records (summary.json, model.json, `edgedigit info`), collected one way."""

from __future__ import annotations

import platform
from types import ModuleType

from edgedigit import __version__


def versions(**modules: ModuleType) -> dict[str, str]:
    """edgedigit's and Python's version, then each given module's `__version__` under its keyword."""
    return {"edgedigit": __version__, "python": platform.python_version(),
            **{name: str(getattr(module, "__version__", "unknown")) for name, module in modules.items()}}  # fmt: skip
