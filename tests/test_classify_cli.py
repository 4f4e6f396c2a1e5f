"""`edgedigit classify` on files: output format, exit codes, and malformed input never crashing."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import cv2
import numpy as np
import pytest
from typer.testing import CliRunner

from edgedigit.cli import app
from tests.conftest import ROOT, write_image
from tests.photos import photo

runner = CliRunner()


@pytest.fixture(scope="module")
def files(tmp_path_factory, mnist):
    d = tmp_path_factory.mktemp("imgs")
    return {
        "seven": write_image(d / "seven.png", photo([mnist.x_test[0]], seed=0)),
        "two": write_image(d / "two.jpg", photo([mnist.x_test[1]], seed=1)),
        "blank": write_image(d / "blank.png", np.full((120, 160, 3), 220, np.uint8)),
        "text": d / "notes.txt",
    }


def test_json_lines_have_the_documented_fields(files, mnist):
    files["text"].write_text("not an image")
    args = ["classify", str(files["seven"]), str(files["text"]), str(files["two"]), str(files["blank"]),
            "--json", "--top-k", "2"]  # fmt: skip
    result = runner.invoke(app, args)
    assert result.exit_code == 1  # one file failed, the others were read
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["path"] for line in lines] == [str(files[k]) for k in ("seven", "text", "two", "blank")]
    seven, bad, two, blank = lines
    assert seven["digit"] == 7 and seven["number"] == "7" and 0.5 < seven["confidence"] <= 1.0
    assert len(seven["top_k"]) == 2 and seven["top_k"][0] == [7, seven["confidence"]]
    assert seven["top_k"][0][1] >= seven["top_k"][1][1]
    assert two["digit"] == 2
    assert set(bad) == {"path", "error"} and "not a readable image" in bad["error"]
    assert blank["digit"] is None and blank["number"] is None and blank["top_k"] == []


def test_text_output_and_exit_zero_when_all_read(files):
    result = runner.invoke(app, ["classify", str(files["seven"]), str(files["blank"])])
    assert result.exit_code == 0
    out = result.stdout.splitlines()
    assert out[0].startswith(f"{files['seven']}: 7 (confidence ")
    assert out[1] == f"{files['blank']}: no digit"


@pytest.mark.parametrize(
    "args, message",
    [
        ([], "give image files"),
        (["x.png", "--top-k", "0"], "--top-k must be between"),
        (["x.png", "--roi", "1,2,3"], "--roi must be x,y,w,h"),
        (["x.png", "--model", "/nonexistent/model.tflite"], "model not found"),
        (["--camera", "/nonexistent/video.avi"], "cannot open camera source"),
    ],
)
def test_usage_errors_exit_2_with_one_line(args, message):
    result = runner.invoke(app, ["classify", *args])
    assert result.exit_code == 2
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1


def _malformed(d, rng, i):
    """A few hundred kinds of broken files: empty, truncated, random bytes, wrong headers, odd shapes."""
    good = cv2.imencode(".png", rng.integers(0, 255, (40, 40), dtype=np.uint8))[1].tobytes()
    jpg = cv2.imencode(".jpg", rng.integers(0, 255, (40, 40, 3), dtype=np.uint8))[1].tobytes()
    kind = i % 8
    path = d / f"f{i}.{['png', 'jpg', 'bmp', 'gif', 'png', 'jpg', 'tif', 'png'][kind]}"
    if kind == 0:
        path.write_bytes(b"")
    elif kind == 1:
        path.write_bytes(jpg[: rng.integers(1, len(jpg) - 1)])
    elif kind == 2:
        path.write_bytes(rng.integers(0, 256, rng.integers(1, 4000), dtype=np.uint8).tobytes())
    elif kind == 3:
        path.write_bytes(b"GIF89a" + rng.integers(0, 256, 50, dtype=np.uint8).tobytes())
    elif kind == 4:
        path.write_bytes(good[:8] + rng.integers(0, 256, len(good) - 8, dtype=np.uint8).tobytes())
    elif kind == 5:
        raw = bytearray(jpg)
        for _ in range(20):
            raw[rng.integers(2, len(raw))] = rng.integers(0, 256)
        path.write_bytes(bytes(raw))
    elif kind == 6:
        path.mkdir()
    else:
        h, w = int(rng.integers(1, 4)), int(rng.integers(1, 3000))
        cv2.imwrite(str(path), rng.integers(0, 255, (h, w), dtype=np.uint8))
    return path


def test_fuzz_malformed_files_never_crash(tmp_path, files):
    rng = np.random.default_rng(42)
    paths = [_malformed(tmp_path, rng, i) for i in range(240)] + [tmp_path / "missing.png", files["seven"]]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        [sys.executable, "-m", "edgedigit", "classify", "--json", *map(str, paths)],
        capture_output=True, text=True, env=env, timeout=300,
    )  # fmt: skip
    assert "Traceback" not in result.stderr, result.stderr[-2000:]
    assert result.returncode == 1
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(lines) == len(paths)  # every file answered, in order
    assert [line["path"] for line in lines] == [str(p) for p in paths]
    assert all(("error" in line) != ("digit" in line) for line in lines)
    assert lines[-1]["digit"] == 7
    assert sum("error" in line for line in lines) >= 200
