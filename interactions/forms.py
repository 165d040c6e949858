import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clients.models import Client
from core.locking import VersionedFormMixin
from interactions.models import FollowUp, Interaction
from users.models import Role, User

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DATETIME_INPUT = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class InteractionForm(VersionedFormMixin, forms.ModelForm):
    """The quick log form: kind, when, who, what; optionally the follow-up it leads to.

    Editing requires the version the user loaded (VersionedFormMixin), so a stale edit is refused.
    """

    followup_title = forms.CharField(
        label=_("Follow-up"), required=False, max_length=300, help_text=_("Optional: what you (or we) do next.")
    )
    followup_due = forms.DateField(label=_("Due"), required=False, widget=DATE_INPUT)
    followup_is_commitment = forms.BooleanField(label=_("Promised to the client"), required=False)
    followup_promised = forms.DateField(label=_("Date promised to the client"), required=False, widget=DATE_INPUT)

    class Meta:
        model = Interaction
        fields = ["kind", "occurred_at", "contacts", "summary", "sentiment", "outcome", "next_step", "is_private"]
        widgets = {
            "occurred_at": DATETIME_INPUT,
            "contacts": forms.CheckboxSelectMultiple,
            "summary": forms.Textarea(attrs={"rows": 3}),
            "outcome": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args, client: Client, with_followup: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["contacts"].queryset = client.contacts.filter(is_active=True)
        self.fields["summary"].widget.attrs["autofocus"] = True
        self.fields["occurred_at"].input_formats = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"]
        if self.instance.pk:
            self.fields["contacts"].queryset = client.contacts.all()
        else:
            self.fields["occurred_at"].initial = timezone.localtime().replace(second=0, microsecond=0)
        if not with_followup or self.instance.pk:
            for name in ("followup_title", "followup_due", "followup_is_commitment", "followup_promised"):
                del self.fields[name]

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("followup_title") and not cleaned.get("followup_due"):
            self.add_error("followup_due", _("Give the follow-up a due date."))
        if cleaned.get("followup_promised") and not cleaned.get("followup_is_commitment"):
            self.add_error("followup_is_commitment", _("Tick this when a date was promised to the client."))
        return cleaned

    def interaction_data(self) -> dict:
        return {k: v for k, v in self.cleaned_data.items() if k != "version" and not k.startswith("followup_")}

    def followup_data(self) -> dict | None:
        if not self.cleaned_data.get("followup_title"):
            return None
        return {
            "title": self.cleaned_data["followup_title"],
            "due_date": self.cleaned_data["followup_due"],
            "is_commitment": self.cleaned_data["followup_is_commitment"],
            "promised_date": self.cleaned_data.get("followup_promised"),
        }


class FollowUpForm(forms.ModelForm):
    class Meta:
        model = FollowUp
        fields = ["title", "owner", "due_date", "is_commitment", "promised_date", "notes"]
        widgets = {"due_date": DATE_INPUT, "promised_date": DATE_INPUT, "notes": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, client: Client, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["title"].widget.attrs["autofocus"] = True
        team_members = User.objects.filter(is_active=True, role__in=[Role.ACCOUNT_MANAGER, Role.TEAM_LEAD])
        self.fields["owner"].queryset = team_members.filter(team=client.team_id) if client.team_id else team_members
        self.fields["owner"].required = False
        self.fields["owner"].empty_label = _("The client's owner")
        self.fields["due_date"].initial = timezone.localdate() + dt.timedelta(days=7)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("promised_date") and not cleaned.get("is_commitment"):
            self.add_error("is_commitment", _("Tick this when a date was promised to the client."))
        return cleaned


class RescheduleForm(VersionedFormMixin, forms.Form):
    due_date = forms.DateField(label=_("New internal due date"), widget=DATE_INPUT)
    promised_date = forms.DateField(label=_("New date promised to the client"), required=False, widget=DATE_INPUT)
    reason = forms.CharField(label=_("Reason"), max_length=500, required=False, widget=forms.TextInput)


class CancelForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3, "autofocus": True})
    )


class FollowUpFilterForm(forms.Form):
    owner = forms.ModelChoiceField(queryset=User.objects.none(), required=False, empty_label=_("Me"), label=_("Owner"))
    commitments = forms.BooleanField(required=False, label=_("Commitments only"))

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        queryset = User.objects.filter(is_active=True, role__in=[Role.ACCOUNT_MANAGER, Role.TEAM_LEAD])
        if not user.is_admin_role:
            queryset = (
                queryset.filter(team=user.team_id) if user.role == Role.TEAM_LEAD else queryset.filter(pk=user.pk)
            )
        self.fields["owner"].queryset = queryset
        self.fields["owner"].widget.attrs["class"] = "form-select form-select-sm"


class BulkFollowUpForm(forms.Form):
    """The follow-up added to every client selected on the client list."""

    followup_title = forms.CharField(label=_("Follow-up"), max_length=200)
    followup_due = forms.DateField(label=_("Due"), widget=forms.DateInput(attrs={"type": "date"}))
