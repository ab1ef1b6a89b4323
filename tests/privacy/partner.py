"""A partner's HTTP endpoint on 127.0.0.1 for the objection deliveries' tests (R21.3)."""

import threading
import time
from collections import defaultdict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Partner:
    """A partner's endpoint: answers 503 while `down`, then 200, after `delay` seconds;
    remembers every request."""

    def __init__(self, *, down: bool = True, delay: float = 0) -> None:
        self.down = down
        self.requests: list[dict] = []
        self.lock = threading.Lock()
        partner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                time.sleep(delay)
                status = 503 if partner.down else 200
                with partner.lock:
                    partner.requests.append(
                        {
                            "key": self.headers["Idempotency-Key"],
                            "timestamp": self.headers["X-Portal-Timestamp"],
                            "signature": self.headers["X-Portal-Signature"],
                            "body": body,
                            "status": status,
                        }
                    )
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_port}/optout"

    def answers(self) -> dict[str, list[int]]:
        with self.lock:
            by_key = defaultdict(list)
            for request in self.requests:
                by_key[request["key"]].append(request["status"])
            return dict(by_key)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
