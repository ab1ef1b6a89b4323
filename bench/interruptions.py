"""A partner cuts the Morocco pass held by many lines (RK.2): every line is told by e-mail and SMS.

Each line holds the monthly Morocco pass (a running period); the cut is recorded, the notices are
created (one e-mail and one SMS per line) and sent batch by batch as the Celery job does, with
the mail and SMS backends in memory. `interruption_notices_per_s` is the lines told per second of
the whole job; the target is 50,000 lines told within 5 minutes on two cores (two workers would
share the batches: this runs one).

BENCH_INTERRUPTION_LINES sets the number of lines (50,000 by default, as in the press release).
"""

import multiprocessing
import os
import time
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.core import mail
from django.db import connections
from django.utils import timezone

from accounts.models import Boutique, User
from catalogue.models import Offer, Option
from lib import sms
from passes.interruptions import (
    interruption_change_progress,
    interruption_notice_batches,
    interruption_notices_create,
    interruption_notices_send_batch,
)
from passes.models import Interruption, InterruptionChange, PassHolding, PassPeriod
from subscriptions.models import Contract, Customer, Line, LineOption, MobileNumber

LINES = int(os.environ.get("BENCH_INTERRUPTION_LINES", "50000"))
CHUNK = 5000  # rows per bulk insert while building the data set


def _build() -> Option:
    boutique = Boutique.objects.get(code="tunis-lac")
    offer = Offer.objects.get(code="forfait-liberte-20")
    option = Option.objects.get(code="maroc-illimite-mois")
    activated = timezone.now() - timedelta(days=60)
    taken = timezone.now() - timedelta(days=3)
    for start in range(0, LINES, CHUNK):
        size = min(CHUNK, LINES - start)
        customers = Customer.objects.bulk_create(
            Customer(
                kind="individual",
                boutique=boutique,
                last_name=f"Pass{start + i}",
                first_name="P",
                cin=f"{70000000 + start + i:08d}",
                street="1 rue",
                postal_code="1000",
                city="Tunis",
                email=f"pass{start + i}@example.tn",
            )
            for i in range(size)
        )
        contracts = Contract.objects.bulk_create(
            Contract(customer=c, reference=f"PS{start + i:08d}") for i, c in enumerate(customers)
        )
        numbers = MobileNumber.objects.bulk_create(
            MobileNumber(msisdn=f"+2165{start + i:07d}", status="assigned") for i in range(size)
        )
        lines = Line.objects.bulk_create(
            Line(contract=c, offer=offer, number=n, status="active", activated_at=activated)
            for c, n in zip(contracts, numbers, strict=True)
        )
        options = LineOption.objects.bulk_create(
            LineOption(line=line, option=option, started_on=timezone.localdate(taken))
            for line in lines
        )
        ends = taken + timedelta(days=30)
        holdings = PassHolding.objects.bulk_create(
            PassHolding(line_option=o, renews=True, period_ends_at=ends) for o in options
        )
        PassPeriod.objects.bulk_create(
            PassPeriod(holding=h, number=1, starts_at=taken, ends_at=ends, fee=Decimal("25.000"))
            for h in holdings
        )
    return option


def _send(batch: tuple[int, int, int]) -> int:
    """One batch, as its Celery task sends it (progress saved after it); the backends' outboxes
    emptied as a gateway would."""
    change_id, first, last = batch
    change = InterruptionChange.objects.get(pk=change_id)
    sent = interruption_notices_send_batch(change, first, last)
    sms.outbox.clear()
    mail.outbox = []
    return sent


def run(report, median_ms) -> None:
    option = _build()
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.SMS_BACKEND = "lib.sms.LocmemSmsBackend"
    supervisor = User.objects.filter(is_superuser=True).first() or User.objects.first()
    now = timezone.now()
    interruption = Interruption.objects.create(
        partner="Wana", cause="Bench", started_at=now, created_by=supervisor
    )
    interruption.options.set([option])
    change = InterruptionChange.objects.create(
        interruption=interruption,
        scope=InterruptionChange.Scope.FULL,
        effective_at=now - timedelta(minutes=1),
        actor=supervisor,
    )
    start = time.perf_counter()
    interruption_notices_create(change)
    batches = [(change.pk, first, last) for first, last in interruption_notice_batches(change)]
    # The batches run in two processes, as a worker with --concurrency 2 on two cores runs them.
    connections.close_all()  # the processes are forked: they must not share this connection
    with multiprocessing.get_context("fork").Pool(2) as pool:
        pool.map(_send, batches, chunksize=1)
    change = interruption_change_progress(change)
    elapsed = time.perf_counter() - start
    told = change.lines_total
    assert told >= LINES and change.notices_sent == 2 * told, (told, change.notices_sent)
    report("interruption_notices_per_s", told / elapsed, "lines/s")
    report("interruption_notices_total_s", elapsed, f"s for {told} lines")
