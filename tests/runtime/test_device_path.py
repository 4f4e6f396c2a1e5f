"""The device path (classify, collect, bench, info) runs with TensorFlow, Keras, Optuna and matplotlib
unimportable."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import ROOT, write_image

# Makes `import tensorflow` / `import keras` (and their submodules) raise, then runs the CLI.
BLOCKER = """
import importlib.abc, sys
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split('.')[0] in ('tensorflow', 'keras', 'tf_keras', 'optuna', 'matplotlib'):
            raise ImportError(f'blocked for this test: {name}')
        return None
sys.meta_path.insert(0, Block())
from edgedigit.cli import main
sys.argv = ['edgedigit', *sys.argv[1:]]
main()
"""


def run_blocked(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-c", BLOCKER, *args], capture_output=True, text=True, env=env, timeout=120)


def test_classify_bench_info_without_tensorflow(tmp_path, small_int8, mnist):
    digit = write_image(tmp_path / "seven.png", mnist.x_test[0])  # a 7
    result = run_blocked("classify", str(digit), "--model", str(small_int8), "--json")
    assert result.returncode == 0, result.stderr
    line = json.loads(result.stdout)
    assert line["digit"] == int(mnist.y_test[0]) and line["number"] == str(mnist.y_test[0])

    info = run_blocked("info", "--model", str(small_int8))
    assert info.returncode == 0, info.stderr
    assert json.loads(info.stdout)["model"]["backend"] in ("ai-edge-litert", "tflite-runtime")

    collected = run_blocked("collect", str(digit), "--label", str(mnist.y_test[0]), "--out", str(tmp_path / "mine"))
    assert collected.returncode == 0, collected.stderr
    assert len(list((tmp_path / "mine" / str(mnist.y_test[0])).glob("*.png"))) == 1

    bench = run_blocked("bench", "--model", str(small_int8), "--repeat", "20", "--batch", "8", "--json")
    assert bench.returncode == 0, bench.stderr
    figures = json.loads(bench.stdout)["models"][0]
    assert figures["inference_1"]["p50_us"] > 0 and figures["batch_8_images_per_s"] > 0
    assert all(figures[key]["p50_us"] > 0 for key in ("digit_28x28", "end_to_end_28x28"))


def test_blocker_really_blocks():
    result = run_blocked("train", "--help")  # the help itself needs no TF ...
    assert result.returncode == 0
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    code = BLOCKER.split("from edgedigit.cli")[0] + "import tensorflow\n"
    blocked = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60)
    assert blocked.returncode != 0 and "blocked for this test" in blocked.stderr


def test_the_public_api_reads_a_number_without_tensorflow():
    """`edgedigit.runtime`'s public names, used as the examples in its docstring and in those of its entry points
    (`Classifier`, `read_digits`, `find_digits`) use them, run as doctests, with TensorFlow, Keras, Optuna and
    matplotlib unimportable; every name in `__all__` is there."""
    code = BLOCKER.split("from edgedigit.cli")[0] + (
        "import doctest, edgedigit.runtime as rt\n"
        "from edgedigit.runtime import classifier, preprocess, reader\n"
        "results = [doctest.testmod(m) for m in (rt, classifier, reader, preprocess)]\n"
        "print(*(f'{r.failed}/{r.attempted}' for r in results), all(hasattr(rt, name) for name in rt.__all__))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=ROOT, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["0/3", "0/3", "0/2", "0/5", "True"], out.stdout


def test_train_and_export_on_a_device_install_say_what_to_install(tmp_path):
    for command in ("train", "export"):
        args = [command, "--runs-dir", str(tmp_path)] if command == "train" else [command, str(tmp_path)]
        result = run_blocked(*args)
        assert result.returncode == 2 and "Traceback" not in result.stderr
        assert result.stderr.strip() == (
            f"edgedigit: error: edgedigit {command} needs the training extras (tensorflow, keras, optuna, "
            "matplotlib missing): pip install 'edgedigit[train]'"
        )
    assert not list(tmp_path.iterdir())  # nothing started


def test_device_modules_do_not_import_tensorflow_at_all():
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    code = (
        "import sys; import edgedigit.cli, edgedigit.runtime.classifier, edgedigit.runtime.preprocess, "
        "edgedigit.runtime.camera, edgedigit.runtime.reader, edgedigit.runtime.classify_files, "
        "edgedigit.runtime.bench, edgedigit.runtime.manifest; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('tensorflow', 'keras')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_a_run_folder_is_read_through_its_int8_export(tmp_path, small_int8):
    """`--model runs/NAME` after `edgedigit export runs/NAME --int8`, as a user writes it; before the export, the
    error says which command makes it."""
    import shutil

    from edgedigit.errors import ModelError
    from edgedigit.runtime import Classifier

    run = tmp_path / "main"
    run.mkdir()
    (run / "model.keras").write_bytes(b"a trained model")
    with pytest.raises(ModelError, match=f"{run} is a training run with no int8 export yet: edgedigit export {run} "):
        Classifier(run)
    shutil.copytree(small_int8, run / "export-int8")
    assert Classifier(run).path == run / "export-int8" / "model.tflite"


def test_tampered_model_is_refused(tmp_path, small_int8):
    import shutil

    from edgedigit.errors import UserError
    from edgedigit.runtime.classifier import Classifier

    copy = tmp_path / "m"
    shutil.copytree(small_int8, copy)
    data = bytearray((copy / "model.tflite").read_bytes())
    data[len(data) // 2] ^= 0xFF
    (copy / "model.tflite").write_bytes(bytes(data))
    try:
        Classifier(copy)
    except UserError as exc:
        assert "does not match its manifest" in str(exc)
    else:
        raise AssertionError("a tampered model was accepted")
    result = run_blocked("classify", str(Path(__file__)), "--model", str(copy))
    assert result.returncode == 2 and "does not match its manifest" in result.stderr
    assert "Traceback" not in result.stderr


def test_batches_match_single_images(small_int8, mnist):
    from edgedigit.runtime.classifier import Classifier

    clf = Classifier(small_int8)
    batch = clf.predict_proba(mnist.x_test[:50])
    singles = np.concatenate([clf.predict_proba(im) for im in mnist.x_test[:50]])
    np.testing.assert_allclose(batch, singles, atol=1e-6)
    assert batch.shape == (50, 10) and np.allclose(batch.sum(1), 1.0, atol=0.05)


FORBIDDEN = {
    "runtime": ("tensorflow", "keras", "tf_keras", "optuna", "matplotlib", "edgedigit.train", "edgedigit.converters"),
    "train": ("edgedigit.converters",),
    "converters": ("optuna", "matplotlib"),  # the exporter converts and validates; it never searches or plots
}


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_package_boundaries_hold_in_every_import(package):
    """Every import in edgedigit/<package>/, at any depth (function-level ones too), read from the source."""
    import ast

    found = []
    folder = ROOT / package if package == "converters" else ROOT / "edgedigit" / package
    for path in sorted(folder.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            found += [(path.name, n) for n in names if any(n == f or n.startswith(f + ".") for f in FORBIDDEN[package])]
            found += [(path.name, n) for n in names if n == "converters" or n.startswith("converters.")]
    assert found == []


def test_exporter_is_installed_under_the_package_name():
    """site-packages gets edgedigit.converters (mapped from the top-level converters/ folder), no bare `converters`."""
    import importlib.util

    spec = importlib.util.find_spec("edgedigit.converters")
    assert spec is not None and Path(spec.origin).parent == ROOT / "converters"
