"""The camera service speaks systemd's notify protocol (a real process, a real notify socket): READY=1 at
start, WATCHDOG=1 pings while it loops and while it waits for a missing camera, STOPPING=1 and exit within
2 s on SIGTERM (issue 16)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time

from edgedigit.runtime.systemd import Notifier
from tests.conftest import ROOT

SIGTERM_WITHIN = 2.0  # s: what the unit's TimeoutStopSec may rely on


def _listen(path: str) -> socket.socket:
    server = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    server.bind(path)
    server.settimeout(20)
    return server


def test_service_is_ready_pings_while_waiting_for_a_camera_and_stops_on_sigterm(tmp_path):
    server = _listen(str(tmp_path / "notify"))
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NOTIFY_SOCKET": str(tmp_path / "notify"), "WATCHDOG_USEC": "400000"}
    cmd = [sys.executable, "-m", "edgedigit", "classify", "--camera", str(tmp_path / "no-camera"), "--headless",
           "--service", "--retry-max", "0.3"]  # fmt: skip
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT)
    messages = [server.recv(64).decode()]
    started = time.monotonic()
    while messages.count("WATCHDOG=1") < 6:
        messages.append(server.recv(64).decode())
    pinging = time.monotonic() - started
    assert proc.poll() is None  # still waiting for its camera, not exited
    proc.send_signal(signal.SIGTERM)
    sent = time.monotonic()
    proc.wait(timeout=10)
    stopped = time.monotonic() - sent
    server.settimeout(1)
    while "STOPPING=1" not in messages:
        messages.append(server.recv(64).decode())
    err = proc.stderr.read()
    assert messages[0] == "READY=1"
    assert 0.8 <= pinging <= 3.0  # 6 pings at most every 0.2 s (half of WATCHDOG_USEC), and not fewer
    assert stopped <= SIGTERM_WITHIN and proc.returncode == 0
    assert "is not there; reopening" in err and "Traceback" not in err


def test_notifier_is_silent_outside_systemd_and_for_another_pid(tmp_path):
    server = _listen(str(tmp_path / "n"))
    server.settimeout(0.2)
    Notifier({}).ping()  # no socket: nothing to do, nothing raised
    other = Notifier({"NOTIFY_SOCKET": str(tmp_path / "n"), "WATCHDOG_USEC": "1000", "WATCHDOG_PID": "1"})
    assert other.interval is None  # the watchdog is some other process's
    other.ready()
    assert server.recv(64) == b"READY=1"
    abstract = f"@edgedigit-test-{os.getpid()}"
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    listener.bind("\0" + abstract[1:])
    Notifier({"NOTIFY_SOCKET": abstract, "WATCHDOG_USEC": "1000000"}).ping()
    listener.settimeout(1)
    assert listener.recv(64) == b"WATCHDOG=1"
