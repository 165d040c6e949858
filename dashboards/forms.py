from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clients.models import Segment
from core.dates import Quarter, recent_quarters
from users.models import Role, Team, User


class PortfolioFilterForm(forms.Form):
    owner = forms.ModelChoiceField(
        queryset=User.objects.none(), required=False, empty_label=_("All AMs"), label=_("Owner")
    )
    segment = forms.ChoiceField(choices=[("", _("All segments")), *Segment.choices], required=False, label=_("Segment"))
    key_only = forms.BooleanField(required=False, label=_("Key accounts only"))
    team = forms.ModelChoiceField(
        queryset=Team.objects.all(), required=False, empty_label=_("All teams"), label=_("Team")
    )
    as_of = forms.DateField(
        required=False, label=_("As of"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        people = User.objects.filter(is_active=True, role__in=[Role.ACCOUNT_MANAGER, Role.TEAM_LEAD])
        if not user.is_admin_role:
            people = people.filter(team=user.team_id)
            del self.fields["team"]
        self.fields["owner"].queryset = people
        for field in self.fields.values():
            css = (
                "form-check-input"
                if isinstance(field, forms.BooleanField)
                else (
                    "form-select form-select-sm" if hasattr(field.widget, "choices") else "form-control form-control-sm"
                )
            )
            field.widget.attrs["class"] = css

    def clean_as_of(self):
        value = self.cleaned_data.get("as_of")
        today = timezone.localdate()
        if value and value > today:
            raise forms.ValidationError(_("Pick today or a day in the past."))
        return value or today


class RenewalBoardFilterForm(forms.Form):
    """The renewals board's filters: team (admins), account manager, quarter of the due date."""

    team = forms.ModelChoiceField(queryset=Team.objects.all(), required=False, empty_label=_("All teams"))
    owner = forms.ModelChoiceField(queryset=User.objects.none(), required=False, empty_label=_("All AMs"))
    quarter = forms.ChoiceField(required=False, label=_("Due in"))

    def __init__(self, *args, user: User, owners, today, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].label = _("Team")
        self.fields["owner"].label = _("Account manager")
        self.fields["owner"].queryset = owners
        if not user.is_admin_role:
            del self.fields["team"]
        self.fields["quarter"].choices = [("", _("Any quarter (open, and closed in the last 90 days)"))] + [
            (q.key, q.label) for q in recent_quarters(today, back=2, ahead=2)
        ]
        for field in self.fields.values():
            field.widget.attrs["class"] = "form-select form-select-sm"

    def clean_quarter(self):
        value = self.cleaned_data.get("quarter")
        return Quarter.parse(value) if value else None
