"""systemd's notify protocol (sd_notify) from the standard library: READY, watchdog pings, STOPPING.

Outside systemd ($NOTIFY_SOCKET unset) every call does nothing. The camera loop pings between frames and
while it waits for a lost camera, so only a process that stops looping (hung inside a library call,
deadlocked) misses its pings, and systemd kills and restarts it after the unit's WatchdogSec.
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Mapping

PINGS_PER_PERIOD = 2  # ping twice per watchdog period, as sd_watchdog_enabled(3) advises


class Notifier:
    """Sends state lines to the socket systemd gave this process; a ping at most every `interval` s."""

    def __init__(self, environ: Mapping[str, str] = os.environ) -> None:
        address = environ.get("NOTIFY_SOCKET", "")
        self.address = "\0" + address[1:] if address.startswith("@") else address  # @: the abstract namespace
        usec, pid = environ.get("WATCHDOG_USEC"), environ.get("WATCHDOG_PID")
        mine = pid is None or pid == str(os.getpid())
        self.interval = int(usec) / 1e6 / PINGS_PER_PERIOD if usec and usec.isdigit() and mine else None
        self.last_ping = float("-inf")

    def send(self, state: str) -> None:
        if not self.address:
            return
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
            try:
                sock.sendto(state.encode(), self.address)
            except OSError:
                pass  # systemd gone (shutdown) or the socket closed: nothing to tell

    def ready(self) -> None:
        self.send("READY=1")

    def stopping(self) -> None:
        self.send("STOPPING=1")

    def ping(self) -> None:
        """A watchdog ping, unless one went out less than `interval` seconds ago."""
        now = time.monotonic()
        if self.interval is not None and now - self.last_ping >= self.interval:
            self.send("WATCHDOG=1")
            self.last_ping = now

    def sleep(self, seconds: float) -> None:
        """time.sleep that keeps pinging: a long wait for a lost camera is not a hang."""
        end = time.monotonic() + seconds
        while (left := end - time.monotonic()) > 0:
            time.sleep(min(left, self.interval or left))
            self.ping()
