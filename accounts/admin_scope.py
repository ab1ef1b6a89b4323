"""Admin classes that keep an agent inside their boutique, for reading and for writing.

Reading: the agent's lists and pages show only their boutique's records, and another
boutique's record is a 404. Writing: the choices of related records are narrowed the same way
(a posted id of another boutique's record is refused), and the boutique of a record is the
agent's own, never chosen.
"""

from django.contrib import admin
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest

from accounts.requests import staff_member
from accounts.roles import is_supervisor


def boutique_filter(user, path: str) -> Q:
    """Supervisors see every boutique, agents their own, other staff nothing."""
    if is_supervisor(user):
        return Q()
    if user.is_staff and user.boutique_id:
        return Q(**{path: user.boutique_id})
    return Q(pk__in=[])


class BoutiqueScopedAdmin(admin.ModelAdmin):
    """`boutique_path`: the lookup from the model to its boutique. `boutique_field`: the model's
    own boutique field, if it has one. `scoped_relations`: for each foreign key an agent may set,
    the lookup from the related model to its boutique."""

    boutique_path: str = "boutique"
    boutique_field: str | None = None
    scoped_relations: dict[str, str] = {}

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

    def formfield_for_foreignkey(self, db_field, request: HttpRequest, **kwargs):
        formfield = super().formfield_for_foreignkey(db_field, request, **kwargs)
        path = self.scoped_relations.get(db_field.name)
        if path and formfield is not None and formfield.queryset is not None:
            formfield.queryset = formfield.queryset.filter(boutique_filter(request.user, path))
        return formfield

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if self.boutique_field and not is_supervisor(request.user):
            fields.append(self.boutique_field)
        return fields

    def save_model(self, request: HttpRequest, obj, form, change: bool) -> None:
        if self.boutique_field and not change and not is_supervisor(request.user):
            setattr(obj, self.boutique_field, staff_member(request).boutique)
        super().save_model(request, obj, form, change)
