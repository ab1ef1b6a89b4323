"""Load on the production server (issue 16, point 4): gunicorn with deploy/gunicorn.conf.py on
the bench's PostgreSQL database, 50 client connections for 30 seconds (BENCH_LOAD_SECONDS,
BENCH_LOAD_CLIENTS) asking for the home page, which reads the grid. Printed: requests per
second, p95, errors (any answer other than 200, or no answer) and the most PostgreSQL
connections the server held at once (bounded by WEB_CONCURRENCY × DB_POOL_MAX_SIZE)."""

import http.client
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

from django.conf import settings
from django.db import connection

WORKERS, THREADS, POOL = 2, 4, 4
APPLICATION_NAME = "portal-bench-load"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _server(port: int, media: str) -> subprocess.Popen:
    db = settings.DATABASES["default"]
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "PORT": str(port),
        "WEB_CONCURRENCY": str(WORKERS),
        "GUNICORN_THREADS": str(THREADS),
        "DB_POOL": "true",
        "DB_POOL_MAX_SIZE": str(POOL),
        "DEBUG": "false",
        "HTTPS": "false",
        "ALLOWED_HOSTS": "127.0.0.1",
        "PRIVATE_MEDIA_ROOT": media,
        "LOG_LEVEL": "WARNING",
        "PGAPPNAME": APPLICATION_NAME,  # libpq's: the server's sessions, told from the bench's
    }
    return subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py"],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=subprocess.DEVNULL,
    )


def _wait_up(port: int) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            probe = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            probe.request("GET", "/healthz")
            if probe.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError("gunicorn did not start")


def run(report, median_ms) -> None:
    if connection.vendor != "postgresql":
        print("load: skipped (PostgreSQL only)", flush=True)
        return
    seconds = float(os.environ.get("BENCH_LOAD_SECONDS", "30"))
    clients = int(os.environ.get("BENCH_LOAD_CLIENTS", "50"))
    port = _free_port()
    latencies: list[float] = []
    errors = [0]
    most = [0]
    lock = threading.Lock()
    with tempfile.TemporaryDirectory() as media:
        server = _server(port, media)
        try:
            _wait_up(port)
            stop = time.monotonic() + seconds

            def client() -> None:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                while time.monotonic() < stop:
                    start = time.perf_counter()
                    try:
                        conn.request("GET", "/")
                        answer = conn.getresponse()
                        answer.read()
                        ok = answer.status == 200
                    except (OSError, http.client.HTTPException):
                        ok = False
                        conn.close()
                        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                    with lock:
                        latencies.append((time.perf_counter() - start) * 1000)
                        errors[0] += not ok

            def sampler() -> None:
                with connection.cursor() as cursor:
                    while time.monotonic() < stop:
                        cursor.execute(
                            "SELECT count(*) FROM pg_stat_activity"
                            " WHERE datname = current_database() AND application_name = %s",
                            [APPLICATION_NAME],
                        )
                        most[0] = max(most[0], cursor.fetchone()[0])
                        time.sleep(0.2)
                connection.close()

            threads = [threading.Thread(target=client) for _ in range(clients)]
            threads.append(threading.Thread(target=sampler))
            started = time.monotonic()
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            elapsed = time.monotonic() - started
        finally:
            server.terminate()
            server.wait(30)
    report(f"load_{clients}_clients_requests_per_s", len(latencies) / elapsed, "req/s")
    report("load_p95", statistics.quantiles(latencies, n=20)[18], "ms")
    report("load_errors", errors[0], "requests")
    report("load_pg_connections_max", most[0], f"connections (bound {WORKERS * POOL})")
