"""Reads of subscription files for the boutique queue and the customer's follow page."""

from datetime import datetime, timedelta

from django.db.models import Case, Count, DateTimeField, F, Q, QuerySet, When
from django.utils import timezone

from accounts.models import Boutique
from subscriptions.models import SubscriptionFile

S = SubscriptionFile.Status


# The deadline that matters now: the answer (R6.2) while pieces are checked, the line (R3.2)
# once complete, the pieces (R13.1) after a boutique sale.
CURRENT_DEADLINE = Case(
    When(status=S.COMPLETE, then=F("activation_due_at")),
    When(status__in=[S.RECEIVED, S.INCOMPLETE], then=F("decision_due_at")),
    When(status=S.ACTIVE, completed_at__isnull=True, then=F("documents_due_at")),
    default=None,
    output_field=DateTimeField(),
)


def files_in_queue(files: QuerySet[SubscriptionFile]) -> QuerySet[SubscriptionFile]:
    """Files staff work on, with their current deadline, the most urgent first."""
    return (
        files.exclude(status=S.DRAFT)
        .annotate(deadline=CURRENT_DEADLINE)
        .order_by(F("deadline").asc(nulls_last=True), "pk")
    )


def breached(files: QuerySet[SubscriptionFile], *, now: datetime | None = None):
    return files_in_queue(files).filter(deadline__lt=now or timezone.now())


def breached_count_by_boutique(*, now: datetime | None = None) -> QuerySet[Boutique]:
    """R3.2: for supervisors, each boutique with its files and how many are past their deadline."""
    now = now or timezone.now()
    in_queue = ~Q(subscription_files__status__in=[S.DRAFT, S.REFUSED]) & ~Q(
        subscription_files__status=S.ACTIVE, subscription_files__completed_at__isnull=False
    )
    overdue = (
        Q(subscription_files__status=S.COMPLETE, subscription_files__activation_due_at__lt=now)
        | Q(
            subscription_files__status__in=[S.RECEIVED, S.INCOMPLETE],
            subscription_files__decision_due_at__lt=now,
        )
        | Q(
            subscription_files__status=S.ACTIVE,
            subscription_files__completed_at__isnull=True,
            subscription_files__documents_due_at__lt=now,
        )
    )
    return Boutique.objects.annotate(
        open_files=Count("subscription_files", filter=in_queue),
        breached_files=Count("subscription_files", filter=overdue),
    ).order_by("-breached_files", "name")


def time_left(deadline: datetime | None, *, now: datetime | None = None) -> timedelta | None:
    return None if deadline is None else deadline - (now or timezone.now())
