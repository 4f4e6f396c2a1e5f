"""`edgedigit serve` on a real process, asked over real HTTP on 127.0.0.1 (issue 16): POST /api/read gives
what classify --json gives, bad and oversized uploads get a status and one JSON error, GET /api/reading
follows the camera, /metrics counts, and the page is served."""

from __future__ import annotations

import http.client
import json
import os
import select
import socket
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request

import cv2
import numpy as np
import pytest

from benchmarks.photos import photo
from edgedigit.runtime.serve import MAX_CLIENTS
from edgedigit.runtime.serve_handler import MAX_UPLOAD
from tests.conftest import ROOT
from tests.runtime.test_numbers import meter_video


@pytest.fixture(scope="module")
def server(tmp_path_factory, mnist):
    video = tmp_path_factory.mktemp("serve") / "cam.avi"
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"MJPG"), 15, (640, 480))
    for digit, frames in ((mnist.x_test[0], 10), (mnist.x_test[1], 10)):  # a 7, then a 2
        for _ in range(frames):
            writer.write(cv2.resize(photo([digit], seed=1), (640, 480)))
    writer.release()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    cmd = [sys.executable, "-m", "edgedigit", "serve", "--port", "0", "--camera", str(video)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    line = proc.stdout.readline()
    assert line.startswith("edgedigit: serving on http://127.0.0.1:"), proc.stderr.read()
    yield line.split()[-1]
    proc.terminate()  # SIGTERM, as systemctl stop sends it: a clean stop
    assert proc.wait(timeout=10) == 0
    err = proc.stderr.read()
    assert "stopped serving" in err and "Traceback" not in err, err[-2000:]


def _call(url: str, data: bytes | None = None, headers: dict | None = None) -> tuple[int, bytes]:
    request = urllib.request.Request(
        url, data=data, headers=headers or {}, method="POST" if data is not None else "GET"
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def test_api_read_gives_what_classify_gives(server, mnist):
    jpeg = cv2.imencode(".jpg", cv2.resize(photo([mnist.x_test[0]], seed=3), (640, 480)))[1].tobytes()
    times = []
    for _ in range(30):
        start = time.perf_counter()
        status, body = _call(server + "/api/read", jpeg, {"Content-Type": "image/jpeg"})
        times.append(time.perf_counter() - start)
        assert status == 200
    reading = json.loads(body)
    assert reading["number"] == "7" and reading["digits"][0]["kind"] == "digit"
    print(f"/api/read 640x480 JPEG: p50 {1000 * statistics.median(times):.2f} ms")


def test_a_picture_sent_as_a_form_file_reads_as_the_body_does(server, mnist):
    """An HTML form and `curl -F file=@photo.jpg` send multipart/form-data: the picture used to be taken for the
    whole body and refused as "not a readable image"."""
    jpeg = cv2.imencode(".jpg", cv2.resize(photo([mnist.x_test[0]], seed=3), (640, 480)))[1].tobytes()
    boundary = "edgedigit-test-boundary"
    form = (f'--{boundary}\r\nContent-Disposition: form-data; name="note"\r\n\r\nmeter 1\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="meter.jpg"\r\n'
            "Content-Type: image/jpeg\r\n\r\n").encode() + jpeg + f"\r\n--{boundary}--\r\n".encode()  # fmt: skip
    kind = {"Content-Type": f"multipart/form-data; boundary={boundary}"}
    status, body = _call(server + "/api/read", form, kind)
    assert status == 200 and body == _call(server + "/api/read", jpeg, {"Content-Type": "image/jpeg"})[1]
    fileless = form.replace(b'; filename="meter.jpg"', b"")
    status, body = _call(server + "/api/read", fileless, kind)
    assert status == 400 and json.loads(body)["error"].startswith("the form holds no file")


def test_methods_and_requests_http_server_refuses_get_a_json_error(server):
    host, port = server.removeprefix("http://").split(":")
    for method in ("PUT", "HEAD"):
        conn = http.client.HTTPConnection(host, int(port), timeout=30)
        conn.request(method, "/api/read")
        response = conn.getresponse()
        assert response.status == 501 and response.getheader("Content-Type") == "application/json"
        body = response.read()
        assert (json.loads(body)["error"] == f"Unsupported method ('{method}')") if method == "PUT" else body == b""
        conn.close()
    garbled = socket.create_connection((host, int(port)), timeout=10)
    garbled.sendall(b"NOT HTTP AT ALL\r\n\r\n")
    answer = garbled.recv(1000)
    garbled.close()
    # a request line that names no HTTP version is answered as HTTP/0.9 answers: the body alone, no status line
    assert json.loads(answer.split(b"\r\n\r\n")[-1])["error"] == "Bad request version ('ALL')"


def test_bad_uploads_get_a_status_and_one_error(server):
    status, body = _call(server + "/api/read", b"not a picture")
    assert status == 400 and "not a readable image" in json.loads(body)["error"]
    host, port = server.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=30)
    conn.putrequest("POST", "/api/read")
    conn.putheader("Content-Length", str(MAX_UPLOAD + 1))  # refused from the header: the body is never sent
    conn.endheaders()
    response = conn.getresponse()
    assert response.status == 413 and "upload limit" in json.loads(response.read())["error"]
    conn.close()
    status, _ = _call(server + "/nowhere")
    assert status == 404


def test_a_body_without_its_size_or_cut_short_neither_holds_the_server_nor_prints(server):
    host, port = server.removeprefix("http://").split(":")
    lying = socket.create_connection((host, int(port)), timeout=10)
    # read(-1) would wait for the client to close, however much it sent: answered from the header instead
    lying.sendall(b"POST /api/read HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n")  # and stays open
    head = lying.recv(200)
    assert head.startswith(b"HTTP/1.0 411 "), head
    lying.close()
    short = socket.create_connection((host, int(port)), timeout=10)
    short.sendall(b"POST /api/read HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n" + b"x" * 10)
    short.shutdown(socket.SHUT_WR)  # gone after 10 of 1000 bytes: nothing to answer, and nothing printed
    assert short.recv(200) == b""
    short.close()
    assert _call(server + "/api/reading")[0] in (200, 404)  # still serving; the fixture checks stderr at its end


def test_a_flood_of_connections_is_served_a_bounded_number_at_a_time(server):
    host, port = server.removeprefix("http://").split(":")
    idle = [socket.create_connection((host, int(port)), timeout=5) for _ in range(MAX_CLIENTS + 8)]
    closed: set[socket.socket] = set()
    deadline = time.monotonic() + 20  # the server accepts them one by one: on a loaded machine that takes a while
    while len(closed) < 8 and time.monotonic() < deadline:
        waiting = [conn for conn in idle if conn not in closed]
        readable, _, _ = select.select(waiting, [], [], 0.5)  # a served one waits for its request line: no data
        closed.update(conn for conn in readable if conn.recv(1) == b"")  # one over the bound is closed at once
    time.sleep(0.5)
    readable, _, _ = select.select([conn for conn in idle if conn not in closed], [], [], 0)
    assert len(closed) == 8 and not readable  # the other 32 are served: open, waiting for a request
    for conn in idle:
        conn.close()
    time.sleep(0.5)
    assert _call(server + "/metrics")[0] == 200  # the slots came back


def test_a_stop_while_the_camera_reads_is_clean(tmp_path, mnist):
    """SIGTERM (systemctl stop) while the camera's thread is inside OpenCV and the interpreter: it used to abort
    the process (exit -6, "terminate called without an active exception"); now the loop ends, the capture is
    released, and serve exits 0."""
    video = tmp_path / "long.avi"
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"MJPG"), 15, (320, 240))
    frame = cv2.resize(photo([mnist.x_test[0]], seed=1), (320, 240))
    for _ in range(1500):  # a minute and more of reading: the camera is mid-stream at the stop
        writer.write(frame)
    writer.release()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    cmd = [sys.executable, "-m", "edgedigit", "serve", "--port", "0", "--camera", str(video)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    url = proc.stdout.readline().split()[-1]
    deadline = time.monotonic() + 60
    while b"edgedigit_camera_frames_total 0\n" in _call(url + "/metrics")[1] and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(0.5)
    proc.terminate()
    assert proc.wait(timeout=15) == 0, proc.stderr.read()[-1000:]
    assert proc.stderr.read().strip().endswith("edgedigit: stopped serving")


def test_the_camera_keeps_separators_when_served_with_keep_separators(tmp_path, mnist):
    """POST /api/read honoured --keep-separators and the camera's readings (/api/reading) did not."""
    video = meter_video(tmp_path / "meter.avi", mnist, frames=10)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    cmd = [sys.executable, "-m", "edgedigit", "serve", "--port", "0", "--camera", str(video), "--keep-separators"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        url = proc.stdout.readline().split()[-1]
        deadline = time.monotonic() + 60
        while (status_body := _call(url + "/api/reading"))[0] != 200 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert json.loads(status_body[1])["number"] == "7.2"
    finally:
        proc.terminate()
        proc.wait(timeout=15)


def test_usage_errors_stop_serve_before_it_listens():
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    cmd = [sys.executable, "-m", "edgedigit", "serve", "--port", "0", "--roi", "0,0,50,50"]
    result = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=60)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.splitlines() == ["edgedigit: error: --roi acts only on a camera's frames: give --camera too, "
                                          "or leave it out"]  # fmt: skip


def test_a_region_is_checked_and_applied_without_a_config_file(server):
    for bad in (b'{"roi": [1, 2]}', b'{"roi": [0, 0, 0, 5]}', b"[1, 2, 3, 4]", b"not json"):
        status, body = _call(server + "/api/roi", bad, {"Content-Type": "application/json"})
        assert status == 400 and json.loads(body)["error"], bad
    status, body = _call(server + "/api/roi", b'{"roi": [0, 0, 100, 100]}')
    assert status == 200 and json.loads(body) == {"roi": [0, 0, 100, 100], "saved": None}  # no --config: not saved
    assert json.loads(_call(server + "/api/roi")[1])["roi"] == [0, 0, 100, 100]
    status, body = _call(server + "/api/roi", b'{"roi": null}')
    assert status == 200 and json.loads(body)["roi"] is None


def test_the_camera_reading_page_and_metrics(server):
    deadline = time.monotonic() + 60
    while True:
        status, body = _call(server + "/api/reading")
        if status == 200 and json.loads(body).get("number") == "2":
            break
        assert time.monotonic() < deadline, body
        time.sleep(0.2)
    event = json.loads(body)
    assert event["event"] == "reading" and event["frame"] > 10
    status, page = _call(server + "/")
    assert status == 200 and b"/api/reading" in page and b"<title>edgedigit</title>" in page
    status, metrics = _call(server + "/metrics?t=1")  # a query is not part of the route
    counters = dict(line.split() for line in metrics.decode().splitlines())
    assert status == 200 and int(counters["edgedigit_camera_events_total"]) >= 2
    assert int(counters["edgedigit_requests_total"]) >= 3


def test_the_live_view_shows_the_boxes_of_what_was_read(mnist):
    from benchmarks.streams import mjpeg

    seven = cv2.imencode(".jpg", cv2.resize(photo([mnist.x_test[0]], seed=2), (320, 240)))[1].tobytes()
    with mjpeg([("stream", seven, 100000)]) as (camera, _):
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        cmd = [sys.executable, "-m", "edgedigit", "serve", "--port", "0", "--camera", camera]
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        try:
            url = proc.stdout.readline().split()[-1]
            host, port = url.removeprefix("http://").split(":")
            conn = http.client.HTTPConnection(host, int(port), timeout=30)
            conn.request("GET", "/stream.mjpg")
            response = conn.getresponse()
            assert response.status == 200 and "multipart/x-mixed-replace" in response.getheader("Content-Type")
            line = b""
            while not line.lower().startswith(b"content-length"):  # the first part's headers
                line = response.readline()
            length = int(line.split(b":")[1])
            response.readline()  # the blank line after them
            view = cv2.imdecode(np.frombuffer(response.read(length), np.uint8), cv2.IMREAD_COLOR)
            assert view.shape == (240, 320, 3)
            green = (view[..., 1] > 150) & (view[..., 0] < 80) & (view[..., 2] < 80)  # the box's (0, 200, 0)
            assert green.sum() > 50  # drawn round the 7 (paper and ink are grey)
            conn.close()
        finally:
            proc.terminate()
            proc.wait(timeout=10)
