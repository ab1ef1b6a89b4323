"""Letters and e-mails of terminations and changes of conditions, each sent once even when a
task is retried or a job restarted: a `*_sent_at` / `notified_at` claim taken by a conditional
update before sending, given back if nothing went out."""

from django.conf import settings
from django.utils import timezone

from lib.emails import send_templated
from lib.pdf import render_pdf
from subscriptions.models import Customer
from terminations.models import ConditionsNotice, OperatorTermination, TerminationRequest
from terminations.selectors import request_terms


def customer_language(customer: Customer) -> str:
    return customer.language


def customer_address(customer: Customer) -> str:
    return customer.email or (customer.user.email if customer.user else "")


def termination_letter_pdf(request: TerminationRequest) -> bytes:
    """The letter the customer signs and sends by registered post with acknowledgement of
    receipt (R16.1), in their language."""
    return render_pdf(
        "pdf/termination_letter.html",
        {
            "request": request,
            "customer": request.customer,
            "items": request_terms(request),
            "operator": settings.OPERATOR,
        },
        language=customer_language(request.customer),
    )


def receipt_notice_send(request_id: int) -> bool:
    """Tell the customer their letter was received, the dates and amounts that follow, and why
    a just motive was not retained; once. False when it was sent already."""
    claimed = TerminationRequest.objects.filter(
        pk=request_id, received_on__isnull=False, receipt_notice_sent_at__isnull=True
    ).update(receipt_notice_sent_at=timezone.now())
    if not claimed:
        return False
    request = TerminationRequest.objects.select_related("customer__user").get(pk=request_id)
    try:
        if address := customer_address(request.customer):
            send_templated(
                to=address,
                template="termination-received",
                context={"request": request, "items": request.lines.select_related("line__number")},
                language=customer_language(request.customer),
            )
    except Exception:
        TerminationRequest.objects.filter(pk=request_id).update(receipt_notice_sent_at=None)
        raise
    return True


def operator_termination_notice_send(termination_id: int) -> bool:
    """R17.1: tell the customer the operator ended the line, and why; once."""
    claimed = OperatorTermination.objects.filter(
        pk=termination_id, notice_sent_at__isnull=True
    ).update(notice_sent_at=timezone.now())
    if not claimed:
        return False
    termination = OperatorTermination.objects.select_related(
        "line__number", "line__contract__customer__user"
    ).get(pk=termination_id)
    customer = termination.line.contract.customer
    try:
        if address := customer_address(customer):
            send_templated(
                to=address,
                template="operator-termination",
                context={"termination": termination},
                language=customer_language(customer),
            )
    except Exception:
        OperatorTermination.objects.filter(pk=termination_id).update(notice_sent_at=None)
        raise
    return True


def conditions_notice_send(notice: ConditionsNotice, *, window_days: int) -> bool:
    """R5.1: one customer told of one change, with the days they have to terminate for it
    (R16.7, R16.9); the claim is the notification date kept for them. False when another run
    notified them already."""
    now = timezone.now()
    claimed = ConditionsNotice.objects.filter(pk=notice.pk, notified_at__isnull=True).update(
        notified_at=now
    )
    if not claimed:
        return False
    customer = notice.customer
    try:
        if address := customer_address(customer):
            send_templated(
                to=address,
                template="conditions-change",
                context={
                    "change": notice.change,
                    "customer": customer,
                    "days": window_days,
                },
                language=customer_language(customer),
            )
    except Exception:
        ConditionsNotice.objects.filter(pk=notice.pk).update(notified_at=None)
        raise
    notice.notified_at = now
    return True
