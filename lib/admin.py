"""Admin pieces shared by the apps."""

from collections.abc import Iterable
from typing import Any

from django.contrib import admin
from django.contrib.admin import helpers
from django.db.models import Model
from django.forms import Form
from django.http import HttpRequest
from django.template.response import TemplateResponse


class ReadOnlyAdmin(admin.ModelAdmin):
    """A record kept as it was written (history, logs, outboxes): staff read it, nobody adds,
    edits or deletes it through the admin."""

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


def action_form_page(
    modeladmin: admin.ModelAdmin,
    request: HttpRequest,
    template: str,
    *,
    title: str,
    form: Form,
    action: str,
    objects: Iterable[Model],
    **context: Any,
) -> TemplateResponse:
    """The page an admin action shows before it acts: what the action applies to, its form, and
    the action's name and the chosen objects again, so that the form posts back to the action.
    `template` extends "admin/action_form.html" and fills its `summary` block (and its
    `submit_label` if "Confirm" does not fit)."""
    return TemplateResponse(
        request,
        template,
        {
            **modeladmin.admin_site.each_context(request),
            "title": title,
            "form": form,
            "action": action,
            "objects": list(objects),
            "opts": modeladmin.model._meta,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            **context,
        },
    )
