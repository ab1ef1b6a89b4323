"""Customer pages against the floor of their own stack, served as in production, and grid reads.

The demo customer holds LINES lines on two accounts and INVOICES invoices (one a month on each
account for a year). The step serves the portal with gunicorn (deploy/gunicorn.conf.py, WORKERS
sync workers, bench/served.py) on the step's database, signs the customer in through the login
form, then requests in turn, ROUNDS times, a burst of BURST requests of each page (WORKERS at a
time): their invoice list, dashboard and first line's page, and the minimal signed-in view of the
same stack (bench/served.py). It prints each page's requests per second (median of the rounds)
and its ratio to the minimal view's. Each worker keeps its fragment caches (an issued invoice's
row, the menu: portal/settings.py CACHES) from its first requests on, as in production.
"""

import http.client
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import date, datetime
from http.cookiejar import CookieJar
from pathlib import Path
from urllib.parse import quote, urlencode
from urllib.request import HTTPCookieProcessor, build_opener

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from billing.invoicing import Period, invoice_issue
from billing.models import Invoice
from catalogue.models import Offer
from catalogue.selectors import offer_terms
from portal.celery import app
from subscriptions.models import Contract, Line, MobileNumber
from tests.factories import ContractFactory, LineFactory

LINES = 4
MONTHS = 12  # of invoices on each of the customer's two accounts, up to October 2026
INVOICES = 2 * MONTHS
ROUNDS = 15
BURST = 20  # requests of one page in a round
WORKERS = 2  # gunicorn's sync workers, and as many requests at a time
TARGET = 0.33  # each page against the minimal view (issue 17)
SIGN_IN = {"username": "client@demo.tn", "password": "demo-client-2026"}


def _customer_data(contract: Contract) -> Line:
    """The demo customer's second account: LINES lines in all; both accounts billed for the
    last MONTHS months (INVOICES invoices). Returns the customer's first line."""
    customer = contract.customer
    second = ContractFactory(customer=customer, reference="C-BENCH-0002")
    offer = Offer.objects.get(code="forfait-liberte-20")
    activated = timezone.make_aware(datetime(2025, 9, 2, 9, 0))
    for n in range(LINES - Line.objects.filter(contract__customer=customer).count()):
        LineFactory(
            contract=second,
            offer=offer,
            number=MobileNumber.objects.create(msisdn=f"+2162090{n:04d}", status="assigned"),
            status="active",
            activated_at=activated,
        )
    october_2026 = 2026 * 12 + 9  # months counted from year 0, January as 0
    # The invoices' mail tasks are queued in memory, not run: the eager mode of a broker-less
    # set-up would render each PDF here, which the pages never show.
    before = {"broker_url": app.conf.broker_url, "task_always_eager": app.conf.task_always_eager}
    app.conf.update(broker_url="memory://", task_always_eager=False)
    try:
        for month in range(october_2026 - MONTHS + 1, october_2026 + 1):
            for account in (contract, second):
                invoice_issue(
                    contract_id=account.pk,
                    period=Period.month(date(month // 12, month % 12 + 1, 1)),
                    issued_on=date((month + 1) // 12, (month + 1) % 12 + 1, 1),
                )
    finally:
        app.conf.update(**before)
    if (count := Invoice.objects.filter(contract__customer=customer).count()) != INVOICES:
        raise AssertionError(f"{count} invoices issued, not {INVOICES}")
    return Line.objects.filter(contract=contract).order_by("created_at").first()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _database_url() -> str:
    """The step's database (a copy the bench made, or the test's), for the server's processes."""
    db = connection.settings_dict
    credentials = quote(db["USER"] or "", safe="")
    if db["PASSWORD"]:
        credentials += ":" + quote(db["PASSWORD"], safe="")
    return f"postgres://{credentials}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@contextmanager
def _served() -> Iterator[int]:
    """gunicorn with the production configuration and WORKERS sync workers on a free port
    (yielded), stopped at the end; its log is shown if it does not answer."""
    if connection.vendor != "postgresql":
        raise RuntimeError("the pages step serves the portal on PostgreSQL: set DATABASE_URL")
    port = _free_port()
    base_dir = Path(settings.BASE_DIR)
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        "DATABASE_URL": _database_url(),
        "DEBUG": "false",
        "HTTPS": "false",
        "SECRET_KEY": settings.SECRET_KEY,
        "ALLOWED_HOSTS": "127.0.0.1",
        "LOG_LEVEL": "WARNING",
        "BENCH_SERVED_CLOCK": timezone.now().isoformat(),
    }
    command = [
        sys.executable, "-m", "gunicorn", "-c", str(base_dir / "deploy" / "gunicorn.conf.py"),
        "--workers", str(WORKERS), "--worker-class", "sync",
        "--bind", f"127.0.0.1:{port}", "bench.served:application",
    ]  # fmt: skip
    with tempfile.TemporaryFile() as log:
        server = subprocess.Popen(command, cwd=base_dir, env=environment, stderr=log)  # noqa: S603
        try:
            _wait_until_ready(server, port, log)
            yield port
        finally:
            server.terminate()
            server.wait(timeout=60)


def _wait_until_ready(server: subprocess.Popen, port: int, log) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            break
        try:
            if _get(port, "/healthz", cookie="") == 200:
                return
        except OSError:
            time.sleep(0.2)
    log.seek(0)
    raise RuntimeError(f"gunicorn did not answer on port {port}:\n{log.read().decode()}")


def _get(port: int, path: str, cookie: str) -> int:
    """One request on its own connection (sync workers close each): the status."""
    client = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        client.request("GET", path, headers={"Cookie": cookie} if cookie else {})
        response = client.getresponse()
        response.read()
        return response.status
    finally:
        client.close()


def _password_for_the_server() -> None:
    """The customer's password hashed as production hashes it (the server's settings), whatever
    hasher this process has (the suite's is a fast one)."""
    hasher = PBKDF2PasswordHasher()
    signed_in = get_user_model().objects.filter(email=SIGN_IN["username"])
    if not signed_in.update(password=hasher.encode(SIGN_IN["password"], hasher.salt())):
        raise AssertionError(f"no account {SIGN_IN['username']}")


def _signed_in_cookie(port: int) -> str:
    """The customer signs in through the login form: the Cookie header of their session."""
    jar = CookieJar()
    browser = build_opener(HTTPCookieProcessor(jar))
    login = f"http://127.0.0.1:{port}{reverse('portal:login')}"
    with browser.open(login, timeout=60) as form:
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.read().decode())
    if token is None:
        raise AssertionError("the login form has no CSRF token")
    data = urlencode({**SIGN_IN, "csrfmiddlewaretoken": token[1]}).encode()
    browser.open(login, data=data, timeout=60).close()
    cookies = {cookie.name: cookie.value for cookie in jar}
    if settings.SESSION_COOKIE_NAME not in cookies:
        raise AssertionError("the customer could not sign in")
    return "; ".join(f"{name}={value}" for name, value in cookies.items())


def _interleaved_rps(port: int, cookie: str, paths: dict[str, str]) -> dict[str, float]:
    """Requests per second of each page (median of ROUNDS bursts), the pages in turn and in a
    different order each round, so that a load on the machine weighs on all of them."""
    for path in paths.values():
        if (status := _get(port, path, cookie)) != 200:
            raise AssertionError(f"{path} answered {status}")
    rates: dict[str, list[float]] = {name: [] for name in paths}
    names = list(paths)
    with ThreadPoolExecutor(max_workers=WORKERS) as clients:
        for round_number in range(ROUNDS):
            shift = round_number % len(names)
            for name in names[shift:] + names[:shift]:
                started = time.perf_counter()
                path = paths[name]
                statuses = list(clients.map(_get, [port] * BURST, [path] * BURST, [cookie] * BURST))
                rates[name].append(BURST / (time.perf_counter() - started))
                if any(status != 200 for status in statuses):
                    raise AssertionError(f"{paths[name]} answered {set(statuses)}")
    return {name: statistics.median(values) for name, values in rates.items()}


def run(report, median_ms) -> None:
    contract = Contract.objects.get(reference="C-DEMO-0001")
    line = _customer_data(contract)
    _password_for_the_server()
    with _served() as port:
        cookie = _signed_in_cookie(port)
        rps = _interleaved_rps(
            port,
            cookie,
            {
                "minimal": "/bench/minimal/",
                "invoice_list": reverse("portal:invoice_list"),
                "dashboard": reverse("portal:dashboard"),
                "line": reverse("portal:line_detail", args=[line.pk]),
            },
        )
    for name, value in rps.items():
        report(f"page_{name}_rps", value, "requests/s")
        if name != "minimal":
            report(f"page_{name}_ratio", value / rps["minimal"], "x")

    offer = Offer.objects.get(code="forfait-liberte-20")
    day = date(2026, 6, 1)
    per_call = median_ms(lambda: offer_terms(offer, on=day), rounds=200)
    report("price_in_force_lookup", per_call, "ms")
