"""Documents of termination records (letter scans, identity documents, approval letters)
downloaded through the admin, by the staff who may see the record: storage has no URL."""

from django.contrib import admin
from django.http import Http404, HttpRequest
from django.urls import path, reverse
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from lib.downloads import private_download


class DocumentDownloads(admin.ModelAdmin):
    """Mixed into a BoutiqueScopedAdmin (before it): each FileField named in `documents` gets a
    download link (`document_links`, to put in `readonly_fields`) served by `document_view`."""

    documents: tuple[str, ...] = ()

    def _document_url_name(self) -> str:
        opts = self.model._meta
        return f"{opts.app_label}_{opts.model_name}_document"

    def get_urls(self):
        view = path(
            "<path:object_id>/document/<str:field>/",
            self.admin_site.admin_view(self.document_view),
            name=self._document_url_name(),
        )
        return [view, *super().get_urls()]

    def document_view(self, request: HttpRequest, object_id: str, field: str):
        if field not in self.documents:
            raise Http404
        obj = self.get_object(request, object_id)  # another boutique's record: 404
        if not self.has_view_permission(request, obj) or not getattr(obj, field):
            raise Http404
        document = getattr(obj, field)
        return private_download(document.open("rb"), filename=document.name.rsplit("/", 1)[-1])

    @admin.display(description=_("documents"))
    def document_links(self, obj) -> str:
        links = [
            (
                reverse(f"admin:{self._document_url_name()}", args=[obj.pk, field]),
                obj._meta.get_field(field).verbose_name,
            )
            for field in self.documents
            if getattr(obj, field)
        ]
        return format_html_join(mark_safe("<br>"), '<a href="{}">{}</a>', links) or "—"
