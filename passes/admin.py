"""Back office of passes: the passes held and their periods (read only), and the partner
interruptions (RK.1) that supervisors record, with each change of scope and its notices'
progress (RK.2) and credits (RK.3)."""

from collections.abc import Iterable
from typing import Any, cast

from django import forms
from django.contrib import admin, messages
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from lib.forms import choice_field, model_choice
from passes.interruptions import (
    InterruptionRefused,
    destinations_choices,
    interruption_record,
    interruption_scope_change,
    passes_including_calls_to,
)
from passes.models import (
    Interruption,
    InterruptionChange,
    InterruptionCredit,
    PassHolding,
    PassNotice,
    PassPeriod,
)

Scope = InterruptionChange.Scope


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class PassPeriodInline(admin.TabularInline):
    model = PassPeriod
    fields = readonly_fields = (
        "number",
        "starts_at",
        "ends_at",
        "fee",
        "movement",
        "charge",
        "actor",
        "job",
    )
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(PassHolding)
class PassHoldingAdmin(ReadOnlyAdmin):
    list_display = ["line_option", "line", "renews", "period_ends_at", "ended_at", "ending"]
    list_filter = ["ending", "renews"]
    list_select_related = ["line_option__option", "line_option__line__number"]
    search_fields = ["line_option__line__number__msisdn"]
    inlines = [PassPeriodInline]

    @admin.display(description=_("line"))
    def line(self, obj: PassHolding):
        return obj.line_option.line


@admin.register(PassNotice)
class PassNoticeAdmin(ReadOnlyAdmin):
    list_display = ["line", "kind", "channel", "created_at", "sent_at"]
    list_filter = ["kind", "channel"]
    list_select_related = ["line__number"]
    search_fields = ["line__number__msisdn"]


@admin.register(InterruptionCredit)
class InterruptionCreditAdmin(ReadOnlyAdmin):
    list_display = ["period", "change", "days", "share", "amount", "created_at"]
    list_select_related = ["period__holding__line_option__option", "change"]


def named(field: forms.Field, label: str | Promise | None) -> None:
    """Each box of a date and time field named for a screen reader (the admin labels the first
    box only): "<label>: date", "<label>: time"."""
    for widget, part in zip(field.widget.widgets, (_("date"), _("time")), strict=True):
        widget.attrs["aria-label"] = f"{label}: {part}"


class InterruptionChangeForm(forms.ModelForm):
    """A row of the table of changes: its boxes named, the table's headers not being labels."""

    class Meta:
        model = InterruptionChange
        fields = ["scope", "effective_at", "note"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for name in ("scope", "note"):
            self.fields[name].widget.attrs["aria-label"] = self.fields[name].label
        named(self.fields["effective_at"], self.fields["effective_at"].label)


class InterruptionForm(forms.ModelForm):
    """RK.1: the interruption of passes named, or of the calls to a country or a zone (the
    passes that include them then affected), with its first scope."""

    calls_to = forms.ChoiceField(
        label=_("calls interrupted to"),
        required=False,
        help_text=Interruption._meta.get_field("calls_to").help_text,
    )
    scope = forms.ChoiceField(
        label=_("scope"), choices=[(s.value, s.label) for s in Scope if s != Scope.RESTORED]
    )

    class Meta:
        model = Interruption
        fields = ["partner", "cause", "calls_to", "options", "started_at", "ended_at"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        choices = destinations_choices(on=timezone.localdate())
        choice_field(self, "calls_to").choices = [("", _("— the passes chosen below —")), *choices]
        self.fields["options"].required = False
        self.fields["options"].help_text = _(
            "The passes the partner interrupts; none when the calls are chosen above."
        )
        self.fields["options"].widget = forms.CheckboxSelectMultiple(
            # The field's choices: an iterator over its queryset, which the widget iterates.
            choices=cast(Iterable[Any], model_choice(self, "options").choices)
        )
        for name in ("calls_to", "scope"):  # declared here: capitalised as the model's are
            self.fields[name].label = capfirst(self.fields[name].label)
        for name in ("started_at", "ended_at"):
            named(self.fields[name], self.fields[name].label)

    def clean(self) -> dict:
        data = cast(dict[str, Any], super().clean())  # a ModelForm's: its cleaned_data
        if not data.get("options") and not data.get("calls_to"):
            raise forms.ValidationError(
                _("Choose the passes the partner interrupts, or the country or zone of the calls."),
                code="nothing_interrupted",
            )
        started_at = data.get("started_at") or timezone.now()
        if (calls_to := data.get("calls_to")) and not data.get("options"):
            try:
                reached = passes_including_calls_to(calls_to, on=timezone.localdate(started_at))
            except InterruptionRefused as error:
                raise forms.ValidationError(str(error), code="unknown_destination") from None
            if not reached:
                raise forms.ValidationError(
                    _("No pass includes calls to this country or zone."), code="no_pass"
                )
        return data


class InterruptionChangeInline(admin.TabularInline):
    """RK.1: the changes of scope, kept as recorded; a new row is a new change."""

    model = InterruptionChange
    form = InterruptionChangeForm
    # The notices' progress is above (InterruptionAdmin.progress): the table fits a screen.
    fields = ["scope", "effective_at", "note", "actor", "at", "credited_at"]
    readonly_fields = ["actor", "at", "credited_at"]
    can_delete = False

    def get_extra(self, request, obj=None, **kwargs) -> int:
        return 1 if obj is not None and obj.ended_at is None else 0

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Interruption)
class InterruptionAdmin(admin.ModelAdmin):
    form = InterruptionForm
    list_display = [
        "partner",
        "cause",
        "calls_to",
        "started_at",
        "ended_at",
        "scope_now",
        "progress",
        "created_by",
    ]
    list_select_related = ["created_by"]
    inlines = [InterruptionChangeInline]

    FACTS = ["partner", "cause", "calls_to", "options", "started_at", "ended_at", "created_by"]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ["created_by"]
        return [*self.FACTS, "progress"]

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["partner", "cause", "calls_to", "options", "started_at", "scope", "ended_at"]
        return [*self.FACTS, "progress"]

    @admin.display(description=_("subscribers told"))
    def progress(self, obj: Interruption) -> str:
        """RK.2: each change's notices sent out of those to send, readable on a phone too (the
        table of changes below scrolls sideways there)."""
        return format_html_join(
            mark_safe("<br>"),
            "{}: {} / {} {} ({} {})",
            (
                (
                    change,
                    change.notices_sent,
                    change.notices_total,
                    _("e-mails and SMS sent"),
                    change.lines_total,
                    _("lines to tell"),
                )
                for change in obj.changes.all()
            ),
        )

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is not None:
            kwargs["form"] = forms.ModelForm
        return super().get_form(request, obj, change=change, **kwargs)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description=_("scope now"))
    def scope_now(self, obj: Interruption) -> str:
        last = obj.changes.order_by("-effective_at").first()
        return last.get_scope_display() if last else ""

    def save_model(self, request, obj: Interruption, form, change: bool) -> None:
        if change:
            return  # an interruption's facts are kept; its scope changes by new rows
        data = form.cleaned_data
        recorded = interruption_record(
            partner=data["partner"],
            cause=data["cause"],
            calls_to=data.get("calls_to", ""),
            options=list(data["options"]),
            started_at=data["started_at"],
            scope=data["scope"],
            actor=request.user,
            ended_at=data.get("ended_at"),
        )
        obj.pk, obj.created_by, obj.created_at = recorded.pk, request.user, recorded.created_at

    def save_related(self, request, form, formsets, change: bool) -> None:
        if not change:  # the options and the first change were written by interruption_record
            for formset in formsets:
                formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
            return
        super().save_related(request, form, formsets, change)

    def save_formset(self, request, form, formset, change: bool) -> None:
        if formset.model is not InterruptionChange:
            return super().save_formset(request, form, formset, change)
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for inline_form in formset.extra_forms:
            if not inline_form.has_changed():
                continue
            data = inline_form.cleaned_data
            try:
                interruption_scope_change(
                    interruption=form.instance,
                    scope=data["scope"],
                    effective_at=data["effective_at"],
                    actor=request.user,
                    note=data.get("note", ""),
                )
            except InterruptionRefused as error:
                messages.error(request, str(error))
        return None
