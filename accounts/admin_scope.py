"""Admin classes that show an agent only their boutique's records, and everyone else's as 404."""

from django.contrib import admin
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest

from accounts.roles import is_supervisor


def boutique_filter(user, path: str) -> Q:
    """Supervisors see every boutique, agents their own, other staff nothing."""
    if is_supervisor(user):
        return Q()
    if user.is_staff and user.boutique_id:
        return Q(**{path: user.boutique_id})
    return Q(pk__in=[])


class BoutiqueScopedAdmin(admin.ModelAdmin):
    """Set `boutique_path` to the lookup from the model to its boutique."""

    boutique_path: str = "boutique"

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return (
            super().get_queryset(request).filter(boutique_filter(request.user, self.boutique_path))
        )

    def get_object(self, request: HttpRequest, object_id: str, from_field: str | None = None):
        # The admin would redirect with "does not exist"; a record of another boutique is a 404,
        # exactly like a missing one, so that nothing tells it exists.
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            raise Http404
        return obj
