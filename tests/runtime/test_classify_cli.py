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

from benchmarks.photos import photo
from edgedigit.cli import app
from tests.conftest import ROOT, write_image

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
    assert seven["top_k"][0][1] >= seven["top_k"][1][1] > 0  # a real alternative, not a rounded-away 0
    assert two["digit"] == 2
    assert set(bad) == {"path", "error"} and "not a readable image" in bad["error"]
    assert blank["digit"] is None and blank["number"] is None and blank["top_k"] == []


def test_text_output_and_exit_zero_when_all_read(files):
    result = runner.invoke(app, ["classify", str(files["seven"]), str(files["blank"])])
    assert result.exit_code == 0
    out = result.stdout.splitlines()
    assert out[0].startswith(f"{files['seven']}: 7 (confidence ")
    alternatives = out[0].split("; then ")[1].rstrip(")").split(", ")
    assert len(alternatives) == 2 and all(float(a.split(":")[1]) > 0 for a in alternatives)  # never "0.00"
    assert out[1] == f"{files['blank']}: no digit"


def test_a_folder_is_read_as_its_picture_files_in_name_order(files, tmp_path):
    folder = tmp_path / "scans"
    (folder / "inner").mkdir(parents=True)
    (folder / "b.JPG").write_bytes(files["two"].read_bytes())
    (folder / "a.png").write_bytes(files["seven"].read_bytes())
    (folder / "notes.txt").write_text("not a picture")
    (folder / "inner" / "c.png").write_bytes(files["seven"].read_bytes())  # subfolders are not entered
    (tmp_path / "empty").mkdir()
    (tmp_path / "collected" / "7").mkdir(parents=True)  # as collect writes them: pictures one level down
    (tmp_path / "collected" / "7" / "d.png").write_bytes(files["seven"].read_bytes())
    result = runner.invoke(app, ["classify", str(folder), str(tmp_path / "empty"), str(tmp_path / "collected"),
                                 "--json"])  # fmt: skip
    assert result.exit_code == 1  # the empty folder
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["path"] for line in lines] == [str(folder / "a.png"), str(folder / "b.JPG"), str(tmp_path / "empty"),
                                                str(tmp_path / "collected")]  # fmt: skip
    assert [lines[0]["number"], lines[1]["number"]] == ["7", "2"]
    assert lines[2]["error"].startswith(f"{tmp_path / 'empty'} is a folder with no picture files (.png, .jpg")
    assert lines[2]["error"].endswith(".pnm)")  # nothing below it either
    assert lines[3]["error"].endswith(
        f"; its subfolders are not searched: give them, e.g. {tmp_path / 'collected' / '7'}"
    )


def test_a_picture_from_standard_input(files, monkeypatch):
    """`libcamera-still -o - | edgedigit classify -` on a Pi: `-` reads standard input, bounded like a file."""
    from edgedigit.runtime import decode

    result = runner.invoke(app, ["classify", "-", "--json"], input=files["two"].read_bytes())
    assert result.exit_code == 0, result.output
    reading = json.loads(result.stdout)
    assert reading["path"] == "-" and reading["number"] == "2"
    empty = runner.invoke(app, ["classify", "-"], input=b"")
    assert empty.exit_code == 1 and empty.stderr.strip() == "edgedigit: error: standard input is empty"
    monkeypatch.setattr(decode, "MAX_FILE_BYTES", 100)
    big = runner.invoke(app, ["classify", "-"], input=files["two"].read_bytes())
    assert big.exit_code == 1 and "standard input is 0 MiB, above the 0 MiB limit" in big.stderr


def test_a_region_outside_a_picture_is_that_files_error_and_one_partly_outside_is_cut_to_it(files):
    height, width = cv2.imread(str(files["seven"])).shape[:2]
    outside = runner.invoke(app, ["classify", str(files["seven"]), "--roi", f"{width},0,50,50"])
    assert outside.exit_code == 1 and outside.stdout == ""
    assert outside.stderr.strip() == (f"edgedigit: error: {files['seven']}: --roi {width},0,50,50 lies outside the "
                                      f"picture ({width}x{height} pixels)")  # fmt: skip
    partly = runner.invoke(app, ["classify", str(files["seven"]), "--roi", f"0,0,{2 * width},{2 * height}"])
    assert partly.exit_code == 0 and partly.stdout.startswith(f"{files['seven']}: 7 (confidence ")


@pytest.mark.parametrize(
    "args, message",
    [
        ([], "give image files"),
        (["x.png", "--top-k", "0"], "--top-k must be between"),
        (["x.png", "--roi", "1,2,3"], "--roi must be x,y,w,h"),
        (["x.png", "--model", "/nonexistent/model.tflite"], "model not found"),
        (["--camera", "/nonexistent/video.avi"], "cannot open camera source"),
        (["x.png", "--threads", "0"], "--threads must be at least 1, got 0"),
        (["--camera", "/nonexistent/video.avi", "--stable", "0"], "--stable must be at least 1, got 0"),
        (["--camera", "/nonexistent/video.avi", "--max-frames", "-1"], "--max-frames must be at least 1, got -1"),
        (["x.png", "--stable", "3"], "--stable acts only on a camera's frames: give --camera too"),
        (["x.png", "--max-frames", "5", "--service"], "--max-frames, --service/--no-service act only on"),
        (["x.png", "--no-show"], "--show/--no-show acts only on a camera's frames"),
        (["x.png", "--mqtt", "mqtt://127.0.0.1/meter"], "--mqtt acts only on a camera's frames"),
        (["--camera", "/nonexistent/video.avi", "--top-k", "2"], "--top-k lists alternatives for files"),
    ],
)
def test_usage_errors_exit_2_with_one_line(args, message):
    result = runner.invoke(app, ["classify", *args])
    assert result.exit_code == 2
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_a_missing_camera_is_one_line_not_opencvs_warnings_too():
    """OpenCV logs its own warning for a camera index with no device (on fd 2, which CliRunner cannot see): a
    service that waits for its camera would print it at every retry."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run([sys.executable, "-m", "edgedigit", "classify", "--camera", "99", "--max-frames", "1"],
                            capture_output=True, text=True, env=env, timeout=120)  # fmt: skip
    assert result.returncode == 2
    assert result.stderr.splitlines() == ["edgedigit: error: cannot open camera source '99' (no such camera, file or "
                                          "stream)"]  # fmt: skip


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
    paths = [_malformed(tmp_path, rng, i) for i in range(240)]
    truncated_png = tmp_path / "truncated.png"  # OpenCV logs a warning of its own for it
    png = cv2.imencode(".png", rng.integers(0, 255, (40, 40), dtype=np.uint8))[1].tobytes()
    truncated_png.write_bytes(png[: len(png) // 2])
    paths += [truncated_png, tmp_path / "missing.png", files["seven"]]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        [sys.executable, "-m", "edgedigit", "classify", "--json", *map(str, paths)],
        capture_output=True, text=True, env=env, timeout=300,
    )  # fmt: skip
    assert "Traceback" not in result.stderr, result.stderr[-2000:]
    # errors are JSON lines on stdout, not OpenCV's log lines on stderr (libjpeg's notes on a damaged JPEG it
    # still decodes, "Corrupt JPEG data: ...", come from the codec's own C code and stay)
    assert "[ WARN" not in result.stderr and "[ERROR" not in result.stderr, result.stderr[-2000:]
    assert result.returncode == 1
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(lines) == len(paths)  # every file answered, in order
    assert [line["path"] for line in lines] == [str(p) for p in paths]
    assert all(("error" in line) != ("digit" in line) for line in lines)
    assert lines[-1]["digit"] == 7
    assert sum("error" in line for line in lines) >= 200


def _png_bomb(path, side: int) -> None:
    """A blank side x side grayscale PNG, a few hundred KB on disk, written without holding its pixels."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    packer, row = zlib.compressobj(9), b"\0" * (side + 1)  # filter byte + one row of black
    idat = b"".join(packer.compress(row) for _ in range(side)) + packer.flush()
    header = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b""))


# cv2 imported before edgedigit: OpenCV's own pixel bound would then be read before edgedigit could set it
CV2_FIRST = "import cv2, sys; from edgedigit.cli import main; sys.argv = ['edgedigit', *sys.argv[1:]]; main()"
# Linux counts a child's RSS before its exec in ru_maxrss, and a child forked from pytest holds TensorFlow:
# a lean Python starts classify and reports its peak (wait4 on its pid), its exit status and its stderr
MEASURE = """
import json, os, subprocess, sys
pipe = subprocess.PIPE
proc = subprocess.Popen([sys.executable, '-c', sys.argv[1], *sys.argv[2:]], stdout=pipe, stderr=pipe)
out, err = proc.stdout.read().decode(), proc.stderr.read().decode()
_, status, usage = os.wait4(proc.pid, 0)
proc.returncode = 0
code, peak = os.waitstatus_to_exitcode(status), usage.ru_maxrss / 1024
print(json.dumps({'code': code, 'peak_mb': peak, 'out': out, 'err': err}))
"""
PEAK_RSS_MB = 150  # issue 15: a picture edgedigit refuses or reads must not take more than this


def test_a_decompression_bomb_is_refused_from_its_header_in_bounded_memory(tmp_path, small_int8, mnist):
    bomb = tmp_path / "bomb.png"
    _png_bomb(bomb, 20000)
    assert bomb.stat().st_size < 1_000_000
    photo_12mp = write_image(tmp_path / "photo.jpg", cv2.resize(photo([mnist.x_test[0]]), (4000, 3000)))
    env = {k: v for k, v in os.environ.items() if k != "OPENCV_IO_MAX_IMAGE_PIXELS"}  # OpenCV's bound: not ours
    env["PYTHONPATH"] = str(ROOT)
    for path, ok in ((bomb, False), (photo_12mp, True)):
        args = [sys.executable, "-c", MEASURE, CV2_FIRST, "classify", str(path), "--model", str(small_int8)]
        run = json.loads(subprocess.run(args, capture_output=True, text=True, env=env, timeout=120).stdout)
        assert run["peak_mb"] <= PEAK_RSS_MB, f"{path.name}: peak RSS {run['peak_mb']:.0f} MB"
        if ok:
            assert run["code"] == 0 and run["out"].startswith(f"{path}: 7"), run["err"]
        else:
            assert run["code"] != 0 and "pixel limit" in run["err"] and "Traceback" not in run["err"]
            assert len(run["err"].strip().splitlines()) == 1


def test_version_and_shell_completion_in_a_real_process():
    """`--version` prints the package's version; bash completion completes commands and options."""
    from edgedigit import __version__

    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    version = subprocess.run([sys.executable, "-m", "edgedigit", "--version"], capture_output=True, text=True, env=env)
    assert version.returncode == 0 and __version__ in version.stdout
    completed = {}
    for words in ("edgedigit cla", "edgedigit classify --cam", "edgedigit se"):
        complete = {
            **env,
            "_EDGEDIGIT_COMPLETE": "complete_bash",
            "COMP_WORDS": words,
            "COMP_CWORD": str(words.count(" ")),
        }
        completed[words] = subprocess.run([sys.executable, "-m", "edgedigit"], capture_output=True, text=True,
                                          env=complete).stdout.split()  # fmt: skip
    assert completed == {"edgedigit cla": ["classify"], "edgedigit classify --cam": ["--camera"],
                         "edgedigit se": ["serve"]}  # fmt: skip
