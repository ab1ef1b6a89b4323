"""The one lock that orders a customer's consent changes and the marketing sent to them."""

from subscriptions.models import Customer


def customer_lock(customer_id: int) -> Customer:
    """Lock the customer's row until the transaction ends. Consent changes and marketing sends
    of one customer take it in turn, so a message checked before an objection is handed over
    before that objection commits, and one checked after sees it (R21.2)."""
    return (
        Customer.objects.select_for_update(of=("self",)).select_related("user").get(pk=customer_id)
    )


def customers_lock(customer_ids: list[int]) -> dict[int, Customer]:
    """Lock several customers' rows, always in the order of their ids, so that two senders
    locking overlapping sets never wait for each other in a cycle."""
    customers = (
        Customer.objects.select_for_update(of=("self",))
        .select_related("user")
        .filter(pk__in=customer_ids)
        .order_by("pk")
    )
    return {customer.pk: customer for customer in customers}
