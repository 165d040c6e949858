from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from clients.commitments import format_commitment_lines, parse_commitment_lines
from clients.derived import derived_fields
from clients.importers import DATE_ORDER_DETECT, DATE_ORDER_DMY, DATE_ORDER_MDY
from clients.models import LIFECYCLE_STATUSES, ChurnReason, Client, Contact, Handoff
from clients.permissions import client_can_reassign
from clients.selectors import owners_for_user
from core.locking import VersionedFormMixin
from users.models import Team, User

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def group_people_by_team(field: forms.ModelChoiceField, queryset, *, empty_label: str | None = None) -> None:
    """Offer ``queryset``'s people grouped by team, each with their role ("Alice Archer · Account manager"), so a
    lead and an AM of two teams are never mixed up. Validation still goes through the field's queryset."""
    people = list(queryset.select_related("team").order_by("team__name", "first_name", "last_name", "username"))
    field.queryset = queryset
    groups: dict[str, list[tuple[int, str]]] = {}
    for person in people:
        team = person.team.name if person.team_id else str(_("No team"))
        groups.setdefault(team, []).append((person.pk, f"{person} · {person.get_role_display()}"))
    label = field.empty_label if empty_label is None else empty_label
    field.choices = [("", label or "---------"), *groups.items()]


class VersionedForm(VersionedFormMixin, forms.ModelForm):
    """A model form carrying the version the user loaded, so a stale save is refused instead of overwriting."""


class ClientForm(VersionedForm):
    move_flags = forms.BooleanField(
        label=_("Move its open flags to the new owner"),
        required=False,
        initial=True,
        help_text=_("On a change of owner. Flags passed by hand to someone else stay with them."),
    )
    move_followups = forms.BooleanField(
        label=_("Move its open follow-ups to the new owner"), required=False, initial=True
    )

    class Meta:
        model = Client
        fields = [
            "name",
            "external_id",
            "status",
            "segment",
            "is_key_account",
            "industry",
            "website",
            "city",
            "country",
            "owner",
            "team",
            "arr",
            "currency",
            "contract_start",
            "renewal_date",
            "contact_cadence_days",
            "preferred_channel",
        ]
        widgets = {"contract_start": DATE_INPUT, "renewal_date": DATE_INPUT}

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["name"].widget.attrs["autofocus"] = True
        may_assign = user.is_admin_role or (self.instance.pk and client_can_reassign(user=user, client=self.instance))
        if may_assign:
            self.fields["owner"].queryset = owners_for_user(user=user)
            self.fields["team"].queryset = (
                Team.objects.all() if user.is_admin_role else Team.objects.filter(pk=user.team_id)
            )
        else:
            del self.fields["owner"]
            del self.fields["team"]
        if not may_assign or not self.instance.pk:
            del self.fields["move_flags"]
            del self.fields["move_followups"]
        else:
            order = list(self.fields)
            for name in ("move_followups", "move_flags"):
                order.remove(name)
                order.insert(order.index("team") + 1, name)
            self.order_fields(order)
        if user.role == "sales":
            # Sales keeps a prospect a prospect; a client with a pending handoff keeps that status.
            allowed = {"prospect", self.instance.status} & {"prospect", "handoff_pending"}
            self.fields["status"].choices = [c for c in self.fields["status"].choices if c[0] in allowed]
        self.fields["currency"].widget.attrs["maxlength"] = 3
        for name in derived_fields(self.instance) & set(self.fields):
            # Kept from the client's contracts: shown, not typed.
            self.fields[name].disabled = True
            self.fields[name].help_text = _("Derived from the client's contracts.")

    def clean_currency(self):
        value = self.cleaned_data["currency"].strip().upper()
        if len(value) != 3 or not value.isalpha():
            raise ValidationError(_("Use a 3-letter ISO currency code, e.g. EUR."))
        return value

    def clean_external_id(self):
        return (self.cleaned_data.get("external_id") or "").strip() or None


class ContactForm(VersionedForm):
    class Meta:
        model = Contact
        fields = [
            "first_name",
            "last_name",
            "job_title",
            "email",
            "phone",
            "role",
            "influence",
            "relationship_strength",
            "reports_to",
            "is_active",
            "left_on",
            "language",
            "notes",
        ]
        widgets = {"left_on": DATE_INPUT, "notes": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, client: Client, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["first_name"].widget.attrs["autofocus"] = True
        candidates = client.contacts.filter(is_active=True)
        if self.instance.pk:
            candidates = candidates.exclude(pk=self.instance.pk)
        self.fields["reports_to"].queryset = candidates
        self.fields["language"].choices = [("", _("As their browser says")), *settings.LANGUAGES]


class HandoffForm(VersionedForm):
    commitments_text = forms.CharField(
        label=_("Commitments made during the sale"),
        required=False,
        widget=forms.Textarea(
            attrs={"rows": 4, "placeholder": _("2026-12-15 Data migration finished\nWeekly status call")}
        ),
        help_text=_("One per line; start a line with its due date (YYYY-MM-DD) when there is one."),
    )

    class Meta:
        model = Handoff
        fields = [
            "deal_name",
            "deal_external_id",
            "deal_amount",
            "currency",
            "close_date",
            "to_am",
            "to_team",
            "scope",
            "goals",
            "success_criteria",
            "stakeholders",
            "stakeholder_notes",
            "risks",
        ]
        widgets = {
            "close_date": DATE_INPUT,
            "scope": forms.Textarea(attrs={"rows": 3}),
            "goals": forms.Textarea(attrs={"rows": 3}),
            "success_criteria": forms.Textarea(attrs={"rows": 3}),
            "stakeholder_notes": forms.Textarea(attrs={"rows": 2}),
            "risks": forms.Textarea(attrs={"rows": 3}),
            "stakeholders": forms.CheckboxSelectMultiple,
        }
        labels = {"to_am": _("Hand off to account manager"), "to_team": _("…or to a team")}

    def __init__(self, *args, client: Client, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["deal_name"].widget.attrs["autofocus"] = True
        self.fields["stakeholders"].queryset = client.contacts.filter(is_active=True)
        group_people_by_team(self.fields["to_am"], owners_for_user(user=user))
        self.fields["to_team"].queryset = Team.objects.all()
        if self.instance.pk:
            self.fields["commitments_text"].initial = format_commitment_lines(self.instance.commitments or [])

    def clean_commitments_text(self):
        return parse_commitment_lines(self.cleaned_data.get("commitments_text") or "")

    def clean_currency(self):
        value = self.cleaned_data["currency"].strip().upper()
        if len(value) != 3 or not value.isalpha():
            raise ValidationError(_("Use a 3-letter ISO currency code, e.g. EUR."))
        return value

    def clean(self):
        cleaned = super().clean()
        to_am, to_team = cleaned.get("to_am"), cleaned.get("to_team")
        if to_am and to_team and to_am.team_id != to_team.pk:
            self.add_error("to_am", _("%(person)s is not in team %(team)s.") % {"person": to_am, "team": to_team})
        return cleaned

    def service_fields(self) -> dict:
        data = dict(self.cleaned_data)
        data.pop("version", None)
        data["commitments"] = data.pop("commitments_text")
        data["stakeholders"] = list(data["stakeholders"])
        return data


class HandoffReturnForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        widget=forms.Textarea(attrs={"rows": 4, "autofocus": True}),
        help_text=_("What sales must add or fix before you can take this client."),
        max_length=2000,
    )


class HandoffAcceptForm(forms.Form):
    owner = forms.ModelChoiceField(
        queryset=User.objects.none(), required=False, empty_label=_("Me"), label=_("New owner"),
        help_text=_("The account manager who takes the client; its sales commitments become their follow-ups."),
    )  # fmt: skip

    def __init__(self, *args, user: User, handoff: Handoff | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        group_people_by_team(self.fields["owner"], owners_for_user(user=user))
        self.fields["owner"].widget.attrs["class"] = "form-select"
        if handoff is not None and handoff.to_am_id and handoff.to_am_id != user.pk:
            self.fields["owner"].initial = handoff.to_am_id


class SalesImportForm(forms.Form):
    file = forms.FileField(
        label=_("File"), help_text=_("Salesforce Data Loader opportunities or HubSpot deals export, CSV.")
    )
    to_team = forms.ModelChoiceField(
        queryset=Team.objects.all(), required=False, label=_("Send new handoffs to team"), empty_label=_("Nobody yet")
    )
    to_am = forms.ModelChoiceField(
        queryset=User.objects.none(), required=False, label=_("…or to account manager"), empty_label=_("Nobody yet")
    )
    date_order = forms.ChoiceField(
        label=_("Dates like 03/04/2026 are"),
        required=False,
        choices=[
            (DATE_ORDER_DETECT, _("Detect from the file (refused if it cannot tell)")),
            (DATE_ORDER_DMY, _("Day/month/year (3 April)")),
            (DATE_ORDER_MDY, _("Month/day/year (March 4)")),
        ],
        help_text=_("ISO dates (2026-04-03) are always read as they are."),
    )

    def __init__(self, *args, user: User, max_bytes: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.max_bytes = max_bytes
        group_people_by_team(self.fields["to_am"], owners_for_user(user=user))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > self.max_bytes:
            raise ValidationError(
                _("The file is %(size)s; the limit is %(limit)s.")
                % {"size": filesizeformat(upload.size), "limit": filesizeformat(self.max_bytes)}
            )
        return upload

    def clean(self):
        cleaned = super().clean()
        to_am, to_team = cleaned.get("to_am"), cleaned.get("to_team")
        if to_am and to_team and to_am.team_id != to_team.pk:
            self.add_error("to_am", _("%(person)s is not in team %(team)s.") % {"person": to_am, "team": to_team})
        return cleaned


class StatusChangeForm(forms.Form):
    """A dated lifecycle step: the new status, when it took effect, and why (a churn needs its reason)."""

    status = forms.ChoiceField(label=_("New status"))
    downgraded = forms.BooleanField(
        required=False, label=_("Downgrade: the client stays, with less business (keep the current status)")
    )
    effective_on = forms.DateField(
        label=_("Effective date"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    churn_reason = forms.ChoiceField(label=_("Churn reason"), required=False)
    reason = forms.CharField(
        label=_("Reason"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, can_backdate: bool, today, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [(s.value, s.label) for s in LIFECYCLE_STATUSES]
        self.fields["churn_reason"].choices = [("", "—"), *ChurnReason.choices]
        self.fields["effective_on"].initial = today
        if can_backdate:
            self.fields["effective_on"].help_text = _("Admins may back-date a change; the record keeps who and when.")
        else:
            self.fields["effective_on"].widget.attrs["readonly"] = True
