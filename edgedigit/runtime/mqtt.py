"""Readings to an MQTT broker (`classify --camera ... --mqtt mqtt://host[:port]/topic`), for home automation.

Each camera event goes to TOPIC/state as JSON (retained, so a new subscriber sees the current reading);
TOPIC/availability says `online` while the process runs and `offline` when it stops, the broker sending
`offline` itself (last will) when the process dies without a word; and a Home Assistant MQTT-discovery
config, retained, makes a sensor appear by itself. Needs the `mqtt` extra (paho-mqtt), imported only here.
"""

from __future__ import annotations

import json
import re
from typing import Any

from edgedigit.errors import UserError

DEFAULT_PORT = 1883
KEEPALIVE = 10  # s: the broker declares the process gone (last will: offline) within 1.5 times this
DISCOVERY_PREFIX = "homeassistant"  # Home Assistant's default discovery topic prefix
URL = re.compile(
    r"^mqtt://(?:(?P<user>[^:@/]+)(?::(?P<password>[^@/]*))?@)?(?P<host>[^:/]+)(?::(?P<port>\d+))?/(?P<topic>.+)$"
)


def parse_url(url: str) -> dict[str, Any]:
    """mqtt://[user[:password]@]host[:port]/topic -> its parts; anything else is one clear error."""
    match = URL.match(url)
    if not match or match["topic"].endswith("/") or "#" in match["topic"] or "+" in match["topic"]:
        raise UserError(f"--mqtt must be mqtt://[user[:password]@]host[:port]/topic, got {url!r}")
    parts = match.groupdict()
    parts["port"] = int(parts["port"] or DEFAULT_PORT)
    return parts


class Publisher:
    """One connection to the broker for the life of the camera loop."""

    def __init__(self, url: str, source: str) -> None:
        try:
            import paho.mqtt.client as mqtt
        except ImportError:
            raise UserError("--mqtt needs paho-mqtt: pip install 'edgedigit[mqtt]'") from None
        parts = parse_url(url)
        self.topic = parts["topic"]
        self.unique_id = "edgedigit_" + re.sub(r"[^A-Za-z0-9_]", "_", self.topic)
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=self.unique_id)
        if parts["user"]:
            self.client.username_pw_set(parts["user"], parts["password"])
        self.client.will_set(f"{self.topic}/availability", "offline", qos=1, retain=True)
        self.client.on_connect = self._announce  # again after every reconnect: a restarted broker forgets
        try:
            self.client.connect(parts["host"], parts["port"], keepalive=KEEPALIVE)
        except OSError as exc:
            raise UserError(f"cannot reach the MQTT broker at {parts['host']}:{parts['port']} ({exc})") from None
        self.client.loop_start()
        self.source = source

    def _announce(self, client: Any, userdata: Any, flags: Any, reason: Any, properties: Any = None) -> None:
        config = {
            "name": "edgedigit reading",
            "unique_id": self.unique_id,
            "state_topic": f"{self.topic}/state",
            "value_template": "{{ value_json.number }}",
            "json_attributes_topic": f"{self.topic}/state",
            "availability_topic": f"{self.topic}/availability",
            "device": {"identifiers": [self.unique_id], "name": f"edgedigit {self.topic}", "manufacturer": "edgedigit"},
        }
        client.publish(f"{DISCOVERY_PREFIX}/sensor/{self.unique_id}/config", json.dumps(config), qos=1, retain=True)
        client.publish(f"{self.topic}/availability", "online", qos=1, retain=True)

    def publish(self, event: dict[str, Any]) -> None:
        """A camera event (a reading, or `cleared`) as the current state."""
        state = {**event, "number": event.get("number"), "source": self.source}
        self.client.publish(f"{self.topic}/state", json.dumps(state), qos=1, retain=True)

    def close(self) -> None:
        """Say goodbye (offline) and disconnect."""
        self.client.publish(f"{self.topic}/availability", "offline", qos=1, retain=True).wait_for_publish(2.0)
        self.client.disconnect()
        self.client.loop_stop()
