"""A provisioning network for tests with worker processes: each order it receives is a file in
NETWORK_SPOOL_PATH named after the order's idempotency key, so that the test sees what reached
the network from any process. The network applies an order once per key, whatever number of
times it receives it: the first file of a key is the order applied. NETWORK_SPOOL_DELAY: seconds
each order takes (a network answers in some milliseconds, not at once)."""

import hashlib
import json
import os
import time
import uuid
from collections import Counter
from pathlib import Path


def _name(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()[:32]


def received(directory: Path) -> Counter[str]:
    """How many times the network received each key."""
    return Counter(json.loads(path.read_text())["key"] for path in Path(directory).glob("*.order"))


class SpoolNetwork:
    def send(self, *, key: str, msisdn: str, iccid: str, action: str, payload: dict) -> bool:
        directory = Path(os.environ["NETWORK_SPOOL_PATH"])
        directory.mkdir(parents=True, exist_ok=True)
        time.sleep(float(os.environ.get("NETWORK_SPOOL_DELAY", "0")))
        order = {"key": key, "msisdn": msisdn, "action": action, "payload": payload}
        path = directory / f"{_name(key)}-{uuid.uuid4().hex}.order"
        path.with_suffix(".tmp").write_text(json.dumps(order))
        path.with_suffix(".tmp").rename(path)  # whole, or not there
        return True
