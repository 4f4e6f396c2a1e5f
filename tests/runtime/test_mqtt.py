"""`classify --camera ... --mqtt` against a real mosquitto broker started on 127.0.0.1 (issue 16): readings
arrive retained on TOPIC/state, Home Assistant finds a sensor through discovery, availability is online
while the process runs, and the broker says offline by itself when the process is killed with kill -9."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time

import cv2
import pytest

from benchmarks.photos import photo
from benchmarks.streams import mjpeg
from tests.conftest import ROOT

MOSQUITTO = shutil.which("mosquitto") or shutil.which("mosquitto", path="/usr/sbin:/usr/local/sbin")
TOPIC = "edgedigit/meter"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def broker(tmp_path):
    if MOSQUITTO is None:
        pytest.skip("mosquitto is not installed (apt-get install mosquitto; the README's test command does)")
    port = _free_port()
    conf = tmp_path / "mosquitto.conf"
    conf.write_text(f"listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n")
    proc = subprocess.Popen([MOSQUITTO, "-c", str(conf)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 10
    while True:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                break
        assert proc.poll() is None and time.monotonic() < deadline, proc.stdout.read()
        time.sleep(0.05)
    yield port
    proc.kill()
    proc.wait()


class Listener:
    """A subscriber that keeps every message with the time it arrived."""

    def __init__(self, port: int) -> None:
        import paho.mqtt.client as mqtt

        self.messages: list[tuple[float, str, str]] = []
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="listener")
        self.client.on_message = lambda c, u, m: self.messages.append((time.monotonic(), m.topic, m.payload.decode()))
        self.client.connect("127.0.0.1", port)
        self.client.subscribe([(f"{TOPIC}/#", 1), ("homeassistant/#", 1)])
        self.client.loop_start()

    def wait(self, topic: str, payload_test, timeout: float = 30.0) -> tuple[float, str]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for at, t, payload in list(self.messages):
                if t == topic and payload_test(payload):
                    return at, payload
            time.sleep(0.02)
        raise AssertionError(f"nothing on {topic} in {timeout} s: {self.messages[-5:]}")


def test_readings_discovery_and_last_will_reach_a_real_broker(broker, mnist):
    seven = cv2.imencode(".jpg", cv2.resize(photo([mnist.x_test[0]], seed=1), (320, 240)))[1].tobytes()
    listener = Listener(broker)
    with mjpeg([("stream", seven, 100000)]) as (url, _):
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        cmd = [sys.executable, "-m", "edgedigit", "classify", "--camera", url, "--headless", "--service",
               "--mqtt", f"mqtt://127.0.0.1:{broker}/{TOPIC}"]  # fmt: skip
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        try:
            event = json.loads(proc.stdout.readline())  # printed the moment the reading is stable
            printed = time.monotonic()
            arrived, state = listener.wait(f"{TOPIC}/state", lambda p: json.loads(p).get("number") == "7")
            assert json.loads(state)["frame"] == event["frame"] and event["number"] == "7"
            print(f"reading on the broker {1000 * (arrived - printed):.0f} ms after it was printed")
            listener.wait(f"{TOPIC}/availability", lambda p: p == "online")
            _, config = listener.wait("homeassistant/sensor/edgedigit_edgedigit_meter/config", lambda p: True)
            config = json.loads(config)
            assert config["state_topic"] == f"{TOPIC}/state" and config["availability_topic"] == f"{TOPIC}/availability"
            assert config["value_template"] == "{{ value_json.number }}" and config["unique_id"]
            killed = time.monotonic()
            proc.kill()  # kill -9: no goodbye; the broker must say it (last will)
            proc.wait()
            gone, _ = listener.wait(f"{TOPIC}/availability", lambda p: p == "offline", timeout=40)
            print(f"offline {gone - killed:.1f} s after kill -9")
        finally:
            if proc.poll() is None:
                proc.kill()
            listener.client.loop_stop()
