"""Back office of lost or stolen SIMs (R14.1 to R14.4): an agent records a declaration after the
five identity checks, receives the police declaration, and gives a new SIM; the queue shows the
cases whose police declaration is overdue.

Every action calls `subscriptions.services.sim_loss`; nothing here changes a line by itself.
"""

from django import forms
from django.contrib import admin, messages
from django.http import Http404, HttpRequest
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from accounts.admin_scope import BoutiqueScopedAdmin
from catalogue.models import Fee
from catalogue.selectors import fee_amount
from lib.downloads import private_download
from lib.uploads import DocumentField
from subscriptions.forms.sim_loss import ReplacementSimForm
from subscriptions.models import Line, SimLossDeclaration
from subscriptions.services.records import IDENTITY_CHECKS
from subscriptions.services.sim_loss import (
    SimLossRefused,
    declarations_overdue,
    police_declaration_attach,
    replacement_sims,
    sim_loss_declare,
    sim_replace,
)

LINE_BOUTIQUE = "contract__customer__boutique"


class DeclarationOverdueFilter(admin.SimpleListFilter):
    """R14.1 decision: cases without the police declaration after 4 days, for staff to follow."""

    title = _("police declaration")
    parameter_name = "police"

    def lookups(self, request, model_admin):
        return [("overdue", _("Declaration overdue"))]

    def queryset(self, request, queryset):
        return declarations_overdue(queryset) if self.value() == "overdue" else queryset


class DeclarationAddForm(forms.ModelForm):
    """R14.4: the five identity checks of the person declaring, each ticked by the agent."""

    channel = forms.ChoiceField(
        label=_("Declared by"),
        choices=[
            (c.value, c.label)
            for c in (SimLossDeclaration.Channel.PHONE, SimLossDeclaration.Channel.BOUTIQUE)
        ],
    )

    class Meta:
        model = SimLossDeclaration
        fields = ["line", "channel", *IDENTITY_CHECKS]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in IDENTITY_CHECKS:
            self.fields[name].required = True

    def clean_line(self):
        line = self.cleaned_data["line"]
        if line.status in (Line.Status.PENDING, Line.Status.TERMINATED):
            raise forms.ValidationError(_("This line is not in service."), code="not_in_service")
        if line.sim_losses.filter(status=SimLossDeclaration.Status.OPEN).exists():
            raise forms.ValidationError(
                _("A loss is already declared for this line."), code="already_declared"
            )
        return line


class PoliceDeclarationUploadForm(forms.ModelForm):
    upload = DocumentField(label=_("Police declaration of loss or theft (R14.1)"), required=False)

    class Meta:
        model = SimLossDeclaration
        fields: list[str] = []


@admin.register(SimLossDeclaration)
class SimLossDeclarationAdmin(BoutiqueScopedAdmin):
    boutique_path = f"line__{LINE_BOUTIQUE}"
    scoped_relations = {"line": LINE_BOUTIQUE}
    list_display = [
        "line",
        "customer_name",
        "status",
        "channel",
        "declared_at",
        "police_declaration_display",
        "replaced_at",
    ]
    list_filter = [DeclarationOverdueFilter, "status", "channel"]
    list_select_related = ["line__number", "line__contract__customer"]
    search_fields = ["line__number__msisdn", "lost_sim__iccid", "new_sim__iccid"]
    autocomplete_fields = ["line"]
    actions = ["replace_sim"]
    change_fields = [
        "line",
        "status",
        "channel",
        "declared_at",
        "declared_by",
        *IDENTITY_CHECKS,
        "lost_sim",
        "police_declaration_due_at",
        "police_declaration_link",
        "police_declaration_at",
        "police_declaration_by",
        "new_sim",
        "replacement_fee",
        "replaced_at",
        "replaced_by",
    ]

    def get_form(self, request, obj=None, change=False, **kwargs):
        kwargs["form"] = PoliceDeclarationUploadForm if obj else DeclarationAddForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["line", "channel", *IDENTITY_CHECKS]
        if obj.status == SimLossDeclaration.Status.OPEN:
            return [*self.change_fields, "upload"]
        return self.change_fields

    def get_readonly_fields(self, request, obj=None):
        return self.change_fields if obj else []

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def save_model(self, request, obj: SimLossDeclaration, form, change: bool) -> None:
        data = form.cleaned_data
        if change:
            if data.get("upload"):
                police_declaration_attach(
                    declaration=obj, upload=data["upload"], actor=request.user
                )
            return
        declared = sim_loss_declare(
            line=data["line"],
            actor=request.user,
            channel=data["channel"],
            checks={name: data[name] for name in IDENTITY_CHECKS},
        )
        obj.pk = declared.pk

    @admin.display(description=_("customer"))
    def customer_name(self, declaration: SimLossDeclaration) -> str:
        return declaration.line.contract.customer.display_name

    @admin.display(description=_("police declaration"), ordering="police_declaration_due_at")
    def police_declaration_display(self, declaration: SimLossDeclaration) -> str:
        if declaration.police_declaration_at:
            received = timezone.localtime(declaration.police_declaration_at)
            return _("received %(at)s") % {"at": received.strftime("%d/%m/%Y %H:%M")}
        due = timezone.localtime(declaration.police_declaration_due_at)
        late = due < timezone.now() and declaration.status == SimLossDeclaration.Status.OPEN
        return format_html(
            '<span class="{}">{}</span>',
            "errornote" if late else "",
            _("due by %(at)s") % {"at": due.strftime("%d/%m/%Y %H:%M")},
        )

    @admin.display(description=_("police declaration"))
    def police_declaration_link(self, declaration: SimLossDeclaration) -> str:
        if not declaration.police_declaration:
            return "—"
        url = reverse("admin:subscriptions_simlossdeclaration_police", args=[declaration.pk])
        return format_html('<a href="{}">{}</a>', url, _("download"))

    def get_urls(self):
        police = path(
            "<path:object_id>/police-declaration/",
            self.admin_site.admin_view(self.police_declaration_view),
            name="subscriptions_simlossdeclaration_police",
        )
        return [police, *super().get_urls()]

    def police_declaration_view(self, request: HttpRequest, object_id: str):
        """The copy of the police declaration, to the staff of the line's boutique only."""
        declaration = self.get_object(request, object_id)
        if not self.has_view_permission(request, declaration) or not declaration.police_declaration:
            raise Http404
        extension = declaration.police_declaration.name.rsplit(".", 1)[-1]
        return private_download(
            declaration.police_declaration.open("rb"),
            filename=f"declaration-police-{declaration.pk}.{extension}",
            content_type=declaration.police_declaration_type,
        )

    @admin.action(description=_("Give a new SIM with the replacement fee (R14.3)"))
    def replace_sim(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, _("Choose one declaration."), messages.WARNING)
            return None
        declaration = queryset.select_related("line__offer", "line__contract__customer").get()
        form = ReplacementSimForm(
            request.POST if "sim" in request.POST else None, sims=replacement_sims(declaration)
        )
        if form.is_valid():
            try:
                sim_replace(
                    declaration=declaration, new_sim=form.cleaned_data["sim"], actor=request.user
                )
            except SimLossRefused as refusal:
                self.message_user(request, str(refusal), messages.ERROR)
            else:
                self.message_user(request, _("New SIM given."), messages.SUCCESS)
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": _("Replace the SIM"),
            "declaration": declaration,
            "fee": fee_amount(
                Fee.Kind.SIM_REPLACEMENT, on=timezone.localdate(), offer=declaration.line.offer
            ),
            "form": form,
            "opts": self.model._meta,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(
            request, "admin/subscriptions/simlossdeclaration/replace_sim.html", context
        )
