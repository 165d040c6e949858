"""Forms of the review and account-plan pages: validation only; services write.

Lists (action items, objectives, opportunities…) are formsets of plain rows: one input per
cell, each with its own accessible label ("Title (action item 2)"), in reading order, so
a plan is filled in with the keyboard alone (Tab, Shift+Tab, Ctrl+Enter to save).
"""

from __future__ import annotations

import datetime as dt

from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from clients.models import Client
from core.dates import Quarter, recent_quarters
from core.locking import VersionedFormMixin
from reviews import plan_items
from reviews.models import AccountPlan, AccountReview
from users.models import Role, User

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _team_members(client: Client):
    members = User.objects.filter(is_active=True, role__in=[Role.ACCOUNT_MANAGER, Role.TEAM_LEAD])
    return members.filter(team=client.team_id) if client.team_id else members


class _Versioned(VersionedFormMixin, forms.ModelForm):
    """A review or plan form carrying the version the user loaded (core.locking)."""


class ReviewPlanForm(_Versioned):
    period = forms.ChoiceField(label=_("Quarter"), help_text=_("The quarter the review looks back on."))

    class Meta:
        model = AccountReview
        fields = ["planned_on", "contacts", "colleagues", "agenda"]
        widgets = {
            "planned_on": DATE_INPUT,
            "contacts": forms.CheckboxSelectMultiple,
            "colleagues": forms.CheckboxSelectMultiple,
            "agenda": forms.Textarea(attrs={"rows": 3}),
        }
        labels = {"contacts": _("Attendees from the client"), "colleagues": _("Colleagues attending")}

    def __init__(self, *args, client: Client, today: dt.date | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        today = today or timezone.localdate()
        self.order_fields(["period", "planned_on", "contacts", "colleagues", "agenda", "version"])
        current = Quarter.containing(today)
        if self.instance.pk:
            del self.fields["period"]
            self.fields["contacts"].queryset = client.contacts.all()
        else:
            self.fields["period"].choices = [
                (q.key, gettext("%(quarter)s (current)") % {"quarter": q.label} if q == current else q.label)
                for q in recent_quarters(today)
            ]
            self.fields["period"].initial = self.initial.get("period") or current.key
            self.fields["contacts"].queryset = client.contacts.filter(is_active=True)
            self.fields["period"].widget.attrs["autofocus"] = True
        self.fields["colleagues"].queryset = User.objects.filter(
            Q(pk__in=_team_members(client).values("pk")) | Q(pk=client.sales_owner_id), is_active=True
        ).order_by("first_name", "last_name", "username")
        self.fields["planned_on"].required = True

    def clean_period(self) -> Quarter:
        try:
            return Quarter.parse(self.cleaned_data["period"])
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from exc


class ReviewOutcomeForm(_Versioned):
    satisfaction = forms.IntegerField(
        label=_("Client satisfaction (1–10)"),
        min_value=1,
        max_value=10,
        required=False,
        widget=forms.NumberInput(attrs={"min": 1, "max": 10, "step": 1, "inputmode": "numeric"}),
        help_text=_(
            "Ask: “From 1 to 10, how satisfied are you with us this quarter?” Leave empty if they did not say."
        ),
        error_messages={
            "min_value": _("Satisfaction is from 1 to 10."),
            "max_value": _("Satisfaction is from 1 to 10."),
            "invalid": _("Satisfaction is a whole number from 1 to 10."),
        },
    )

    class Meta:
        model = AccountReview
        fields = ["held_on", "satisfaction", "wins", "issues", "goals_progress", "next_quarter_plan"]
        widgets = {
            "held_on": DATE_INPUT,
            "wins": forms.Textarea(attrs={"rows": 3}),
            "issues": forms.Textarea(attrs={"rows": 3}),
            "goals_progress": forms.Textarea(attrs={"rows": 3}),
            "next_quarter_plan": forms.Textarea(attrs={"rows": 3}),
        }
        labels = {"held_on": _("Held on")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["held_on"].required = True
        if not self.instance.held_on:  # usually held as planned: the planned day, unless that is still ahead
            self.initial["held_on"] = min(self.instance.planned_on, timezone.localdate())
        self.fields["held_on"].widget.attrs["autofocus"] = True

    def outcome(self) -> dict:
        return {k: v for k, v in self.cleaned_data.items() if k != "version"}


class _RowForm(forms.Form):
    """One row of a list: every input labelled with the row ("Objective (objective 2)")."""

    row_name = _("row")

    def __init__(self, *args, row_title: str = "", **kwargs):
        """``row_title`` names a row shown on its own ("Owner (Pick the trainer)"); in a formset, its number."""
        super().__init__(*args, **kwargs)
        number = self._number() if not row_title else None
        suffix = row_title or (
            # Translators: names one row of a list for screen readers, e.g. "action item 2"
            gettext("%(row)s %(number)s") % {"row": self.row_name, "number": number} if number else ""
        )
        for name, field in self.fields.items():
            widget = field.widget
            label = field.label or name.replace("_", " ").capitalize()
            # Translators: an input's label for screen readers with the row it is in, e.g. "Owner (action item 2)"
            widget.attrs["aria-label"] = (
                gettext("%(label)s (%(row)s)") % {"label": label, "row": suffix} if suffix else label
            )
            if isinstance(widget, forms.CheckboxInput):
                widget.attrs.setdefault("class", "form-check-input")
            elif isinstance(widget, forms.Select):
                widget.attrs.setdefault("class", "form-select form-select-sm")
            else:
                widget.attrs.setdefault("class", "form-control form-control-sm")

    def has_changed(self) -> bool:
        """A blank row stays blank when only its preset choices (status, owner…) were left or changed."""
        return any(self.fields[name].initial in (None, "") for name in self.changed_data if name != "DELETE")

    def _number(self) -> int | None:
        tail = (self.prefix or "").rsplit("-", 1)[-1]
        return int(tail) + 1 if tail.isdigit() else None

    @property
    def row_number(self) -> int | None:
        return self._number()


def team_members(client: Client) -> list[User]:
    """Who may own a review's action items (the client's team), loaded once for every form on a page."""
    return list(_team_members(client))


class ActionItemForm(_RowForm):
    row_name = _("action item")

    title = forms.CharField(label=_("What"), max_length=300)
    owner = forms.TypedChoiceField(label=_("Owner"), required=False, coerce=int, empty_value=None)
    due_date = forms.DateField(label=_("Due"), required=False, widget=DATE_INPUT, help_text=_("Empty: in two weeks."))
    is_commitment = forms.BooleanField(label=_("Promised to the client"), required=False)
    promised_date = forms.DateField(label=_("Promised date"), required=False, widget=DATE_INPUT)

    def __init__(self, *args, client: Client, owners: list[User] | None = None, with_title: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self._owners = {u.pk: u for u in (owners if owners is not None else team_members(client))}
        choices = [(pk, str(user)) for pk, user in self._owners.items()]
        self.fields["owner"].choices = [("", gettext("Unassigned: decide later")), *choices]
        self.fields["owner"].initial = client.owner_id  # a blank extra row with this owner is still blank
        if not with_title:
            del self.fields["title"]
            self.fields["owner"].required = True
            self.fields["owner"].choices = choices

    def clean_owner(self) -> User | None:
        value = self.cleaned_data.get("owner")
        return self._owners.get(value) if value is not None else None

    def clean(self):
        cleaned = super().clean()
        promised, due = cleaned.get("promised_date"), cleaned.get("due_date")
        if promised and not cleaned.get("is_commitment"):
            self.add_error("is_commitment", gettext("Tick this when a date was promised to the client."))
        if promised and due and promised < due:
            self.add_error("promised_date", gettext("The date promised to the client cannot be before our due date."))
        return cleaned


class _ItemsFormSet(forms.BaseFormSet):
    def add_fields(self, form, index):
        super().add_fields(form, index)
        if "DELETE" in form.fields:
            if index is not None:
                # Translators: tick box dropping one row of a list, e.g. "Remove (objective 2)"
                label = gettext("Remove (%(row)s %(number)s)") % {"row": form.row_name, "number": index + 1}
            else:
                label = gettext("Remove")
            form.fields["DELETE"].label = gettext("Remove")
            form.fields["DELETE"].widget.attrs.update({"aria-label": label, "class": "form-check-input"})

    def items(self) -> list[dict]:
        """The filled-in rows, without the ones ticked for removal."""
        rows = []
        for form in self.forms:
            data = getattr(form, "cleaned_data", None)
            if not data or (self.can_delete and data.get("DELETE")):
                continue
            rows.append({k: v for k, v in data.items() if k != "DELETE"})
        return rows


ActionItemFormSet = forms.formset_factory(ActionItemForm, formset=_ItemsFormSet, extra=3, max_num=30, validate_max=True)


# --- account plan --------------------------------------------------------------------------------


class AccountPlanForm(_Versioned):
    class Meta:
        model = AccountPlan
        fields = ["hypothesis", "revenue_target", "currency"]
        widgets = {
            "hypothesis": forms.Textarea(
                attrs={
                    "rows": 3,
                    "placeholder": _(
                        "We believe that moving their returns onto our platform will cut their handling "
                        "costs by 15%; we will know it when returns cost per order falls below 2 EUR."
                    ),
                }
            )
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["hypothesis"].widget.attrs["autofocus"] = True
        self.fields["currency"].widget.attrs["maxlength"] = 3
        self.fields["revenue_target"].widget.attrs["min"] = 0

    def clean_currency(self):
        value = self.cleaned_data["currency"].strip().upper()
        if len(value) != 3 or not value.isalpha():
            raise forms.ValidationError(gettext("Use a 3-letter ISO currency code, e.g. EUR."))
        return value


def _choices(values: dict[str, str]) -> list[tuple[str, str]]:
    return list(values.items())


class ObjectiveForm(_RowForm):
    row_name = _("objective")
    objective = forms.CharField(label=_("Objective"), max_length=500)
    target = forms.CharField(label=_("Target"), max_length=200, required=False)
    status = forms.ChoiceField(label=_("Status"), choices=_choices(plan_items.OBJECTIVE_STATUSES), initial="on_track")
    shared = forms.BooleanField(label=gettext_lazy("Shared with the client"), required=False)


class OpportunityForm(_RowForm):
    row_name = _("opportunity")
    title = forms.CharField(label=_("Opportunity"), max_length=200)
    kind = forms.ChoiceField(
        label=pgettext_lazy("kind of opportunity", "Kind"),
        choices=_choices(plan_items.OPPORTUNITY_KINDS),
        initial="upsell",
    )
    estimated_value = forms.DecimalField(
        label=_("Estimated value"), required=False, min_value=0, max_digits=14, decimal_places=2
    )
    stage = forms.ChoiceField(label=_("Stage"), choices=_choices(plan_items.OPPORTUNITY_STAGES), initial="identified")


class StakeholderForm(_RowForm):
    row_name = _("stakeholder")
    contact = forms.TypedChoiceField(label=_("Contact"), required=False, coerce=int, empty_value=None)
    who = forms.CharField(label=_("…or who"), max_length=200, required=False)
    how = forms.CharField(label=_("How we win them over"), max_length=500)

    def __init__(self, *args, contacts: list[tuple[int, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["contact"].choices = [("", "—"), *contacts]

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("contact") and not (cleaned.get("who") or "").strip():
            self.add_error("who", gettext("Choose a contact or write who it is."))
        return cleaned


class RiskForm(_RowForm):
    row_name = _("risk")
    risk = forms.CharField(label=_("Risk"), max_length=500)
    impact = forms.ChoiceField(label=_("Impact"), choices=_choices(plan_items.LEVELS), initial="medium")
    mitigation = forms.CharField(label=_("Mitigation"), max_length=500, required=False)


def _plan_formset(form_class):
    return forms.formset_factory(
        form_class, formset=_ItemsFormSet, extra=2, can_delete=True, max_num=plan_items.MAX_ITEMS, validate_max=True
    )


ObjectiveFormSet = _plan_formset(ObjectiveForm)
OpportunityFormSet = _plan_formset(OpportunityForm)
StakeholderFormSet = _plan_formset(StakeholderForm)
RiskFormSet = _plan_formset(RiskForm)

PLAN_SECTIONS = (
    ("objectives", _("Objectives"), ObjectiveFormSet),
    ("opportunities", _("Growth opportunities"), OpportunityFormSet),
    ("stakeholders", _("Stakeholder strategy"), StakeholderFormSet),
    ("risks", _("Risks and mitigations"), RiskFormSet),
)


def plan_formsets(data, *, plan: AccountPlan | None, client: Client) -> dict[str, forms.BaseFormSet]:
    contacts = [(c.pk, str(c)) for c in client.contacts.filter(is_active=True)]
    formsets = {}
    for name, _title, formset_class in PLAN_SECTIONS:
        initial = [dict(item) for item in getattr(plan, name, None) or []]
        kwargs = {"contacts": contacts} if name == "stakeholders" else {}
        if name == "stakeholders" and plan is not None:
            known = {pk for pk, _name in contacts}
            left = [item["contact"] for item in initial if item.get("contact") and item["contact"] not in known]
            if left:  # a contact who left stays selectable in the row that names them
                kwargs["contacts"] = contacts + [
                    # Translators: a contact who has left the client's company
                    (c.pk, gettext("%(contact)s (left)") % {"contact": c})
                    for c in client.contacts.filter(pk__in=left)
                ]
        formsets[name] = formset_class(data, initial=initial, prefix=name, form_kwargs=kwargs)
    return formsets


def plan_items_from(formsets: dict[str, forms.BaseFormSet]) -> dict[str, list[dict]]:
    result = {}
    for name, formset in formsets.items():
        rows = formset.items()
        if name == "opportunities":
            for row in rows:
                value = row.get("estimated_value")
                row["estimated_value"] = None if value is None else str(value)
        result[name] = rows
    return result
