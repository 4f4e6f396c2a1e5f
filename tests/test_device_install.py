"""device/: the Pi install script in a throwaway prefix, and the aarch64 proof under qemu."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

DEVICE = ROOT / "device"


def _tree(prefix: Path) -> dict[str, tuple[int, int]]:
    """Every file under prefix with its size and mtime: what a re-run must leave untouched."""
    return {
        str(p.relative_to(prefix)): (p.stat().st_size, p.stat().st_mtime_ns)
        for p in prefix.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    }


def test_install_is_idempotent_self_tests_and_uninstalls(tmp_path):
    prefix = tmp_path / "opt" / "edgedigit"
    env = {**os.environ, "PYTHON": sys.executable}
    first = subprocess.run(["bash", str(DEVICE / "install.sh"), "--prefix", str(prefix)],
                           capture_output=True, text=True, env=env, timeout=900)  # fmt: skip
    assert first.returncode == 0, first.stdout + first.stderr
    assert "bundled sample read as 7" in first.stdout
    size_mb = int(re.search(r"\((\d+) MB\)", first.stdout).group(1))
    assert 20 < size_mb < 600
    assert (
        subprocess.run([str(prefix / "bin" / "python"), "-c", "import tensorflow"], capture_output=True).returncode != 0
    )
    before = _tree(prefix)

    second = subprocess.run(["bash", str(DEVICE / "install.sh"), "--prefix", str(prefix)],
                            capture_output=True, text=True, env=env, timeout=600)  # fmt: skip
    assert second.returncode == 0, second.stdout + second.stderr
    assert "nothing to install" in second.stdout
    assert _tree(prefix) == before

    gone = subprocess.run(["bash", str(DEVICE / "install.sh"), "--prefix", str(prefix), "--uninstall"],
                          capture_output=True, text=True, env=env, timeout=60)  # fmt: skip
    assert gone.returncode == 0 and not prefix.exists()


def test_install_rejects_bad_arguments_with_one_line(tmp_path):
    out = subprocess.run(["bash", str(DEVICE / "install.sh"), "--from", str(tmp_path), "--prefix", str(tmp_path / "p")],
                         capture_output=True, text=True, timeout=60)  # fmt: skip
    assert out.returncode != 0
    assert out.stderr.strip() == f"install.sh: error: {tmp_path} is not an edgedigit checkout"


def test_service_unit_restarts_without_spinning():
    unit = (DEVICE / "edgedigit-camera.service").read_text()
    assert "--headless --service" in unit and "User=edgedigit" in unit and "SupplementaryGroups=video" in unit
    assert re.search(r"^Restart=always$", unit, re.M) and re.search(r"^RestartSec=\d+$", unit, re.M)
    assert re.search(r"^StartLimitIntervalSec=0$", unit, re.M)  # a start limit could strand it for good
    assert re.search(r"^MemoryMax=\d+M$", unit, re.M)
    env = (DEVICE / "edgedigit-camera.env").read_text()
    for key in ("EDGEDIGIT_CAMERA", "EDGEDIGIT_MODEL", "EDGEDIGIT_THREADS", "EDGEDIGIT_ROI"):
        assert f"{key}=" in env


@pytest.mark.skipif(os.geteuid() != 0 and not os.path.exists("/usr/bin/qemu-aarch64-static"),
                    reason="needs root to install qemu-user-static")  # fmt: skip
def test_verify_arm64_reads_the_same_digits_on_pi4_and_pi5_profiles(tmp_path):
    env = {**os.environ, "PYTHON": sys.executable}
    out = subprocess.run(["bash", str(DEVICE / "verify-arm64.sh"), str(tmp_path / "arm64")],
                         capture_output=True, text=True, env=env, timeout=900)  # fmt: skip
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    assert "verify-arm64: OK for cortex-a72 cortex-a76" in out.stdout
    assert out.stdout.count("aarch64 ai-edge-litert") == 2
    site_mb = int(re.search(r"device site-packages on aarch64: (\d+) MB", out.stdout).group(1))
    assert site_mb <= 250
