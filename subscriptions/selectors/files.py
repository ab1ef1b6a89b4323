"""Reads of subscription files for the boutique queue and the customer's follow page."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, TypeAlias, TypedDict

from django.db.models import Case, Count, DateTimeField, F, Q, QuerySet, When
from django.utils import timezone

from accounts.models import Boutique
from subscriptions.models import FilePiece, Line, MobileNumber, SimCard, SubscriptionFile

S = SubscriptionFile.Status


class Deadline(TypedDict):
    """What files_in_queue annotates."""

    deadline: datetime | None


if TYPE_CHECKING:  # django-stubs' helper, installed with the checker only
    from django_stubs_ext import WithAnnotations

    QueuedFile: TypeAlias = WithAnnotations[SubscriptionFile, Deadline]


# The deadline that matters now: the answer (R6.2) while pieces are checked, the line (R3.2)
# once complete, the pieces (R13.1) after a boutique sale.
CURRENT_DEADLINE = Case(
    When(status=S.COMPLETE, then=F("activation_due_at")),
    When(status__in=[S.RECEIVED, S.INCOMPLETE], then=F("decision_due_at")),
    When(status=S.ACTIVE, completed_at__isnull=True, then=F("documents_due_at")),
    default=None,
    output_field=DateTimeField(),
)


def files_in_queue(files: QuerySet[SubscriptionFile]) -> "QuerySet[QueuedFile]":
    """Files staff work on, with their current deadline, the most urgent first."""
    return (
        files.exclude(status=S.DRAFT)
        .annotate(deadline=CURRENT_DEADLINE)
        .order_by(F("deadline").asc(nulls_last=True), "pk")
    )


def breached(
    files: QuerySet[SubscriptionFile], *, now: datetime | None = None
) -> "QuerySet[QueuedFile]":
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


@dataclass(frozen=True)
class StillMissing:
    """R3.1: what keeps a file from being complete, as the customer's follow page says it."""

    pieces: list[FilePiece]  # not sent yet, or rejected (sent ones wait for the boutique)
    connection_fee_unpaid: bool  # the agent has not recorded it as paid (it is paid in boutique)

    def __bool__(self) -> bool:
        return bool(self.pieces) or self.connection_fee_unpaid


def file_still_missing(file: SubscriptionFile, pieces: list[FilePiece]) -> StillMissing:
    """R3.1: the pieces missing or rejected and the connection fee unpaid, among `pieces` (the
    file's, already read by the page)."""
    waiting = (FilePiece.Status.MISSING, FilePiece.Status.REJECTED)
    return StillMissing(
        pieces=[piece for piece in pieces if piece.status in waiting],
        connection_fee_unpaid=file.connection_fee_paid_at is None,
    )


def numbers_to_give() -> QuerySet[MobileNumber]:
    """R17.3: the numbers an agent may give a new line (available, on no live line), in the
    order the pool proposes them."""
    live = [status for status in Line.Status if status != Line.Status.TERMINATED]
    return (
        MobileNumber.objects.filter(status=MobileNumber.Status.AVAILABLE)
        .exclude(lines__status__in=live)
        .order_by("msisdn")
    )


def sims_to_give(boutique: Boutique | None) -> QuerySet[SimCard]:
    """The SIM cards in stock at the boutique (or in no boutique's stock), proposed in order."""
    return (
        SimCard.objects.filter(status=SimCard.Status.IN_STOCK)
        .filter(Q(boutique=boutique) | Q(boutique__isnull=True))
        .order_by("iccid")
    )
