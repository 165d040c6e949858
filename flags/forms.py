import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clients.models import ContactRole, Segment
from flags import rules
from flags.models import RuleKind, Severity, TriggerRule
from kpis.models import Metric
from users.models import Role, Team, User

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")

# Which parameter fields each kind uses (the page shows only those; static/js/rules.js).
PARAM_FIELDS = {
    "kpi_drop": ["metric", "drop_pct", "recent_days", "baseline_days"],
    "kpi_threshold": ["metric", "direction", "threshold", "window_days"],
    "no_contact": ["mode", "days", "grace_days"],
    "health_below": ["threshold"],
    "health_drop": ["points", "days"],
    "commitment_overdue": ["min_days"],
    "renewal_no_review": ["days"],
    "stakeholder_left": ["roles", "within_days"],
    "data_stopped": ["metric", "late_days"],
    "invoice_overdue": ["min_days"],
    "closing_documents_unsigned": ["days"],
    "survey_detractor": ["max_score", "days"],
}


class SnoozeForm(forms.Form):
    until = forms.DateField(required=False, widget=DATE_INPUT, label=_("Until"))
    until_worse = forms.BooleanField(required=False, label=_("…or until the KPI gets worse"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["until"].initial = timezone.localdate() + dt.timedelta(days=7)


class DismissForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3, "autofocus": True}),
        help_text=_("Why is this flag not useful? The rule's owner reads this to tune it."),
    )


class ReassignForm(forms.Form):
    to = forms.ModelChoiceField(queryset=User.objects.none(), label=_("Give to"))

    def __init__(self, *args, team_id: int | None, **kwargs):
        super().__init__(*args, **kwargs)
        people = User.objects.filter(is_active=True, role__in=[Role.ACCOUNT_MANAGER, Role.TEAM_LEAD])
        self.fields["to"].queryset = people.filter(team=team_id) if team_id else people


class RaiseFlagForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200, widget=forms.TextInput(attrs={"autofocus": True}))
    evidence = forms.CharField(label=_("Why"), widget=forms.Textarea(attrs={"rows": 3}))


class RuleForm(forms.ModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    metric = forms.ChoiceField(required=False, label=_("KPI"))
    drop_pct = forms.FloatField(required=False, label=_("Drop (or rise, for lower-is-better KPIs) of at least, %"))
    recent_days = forms.IntegerField(required=False, label=_("Recent period, days"), initial=7)
    baseline_days = forms.IntegerField(required=False, label=_("Compared with the previous, days"), initial=28)
    direction = forms.ChoiceField(
        required=False, label=_("Direction"), choices=[("below", _("falls below")), ("above", _("rises above"))]
    )
    threshold = forms.FloatField(required=False, label=_("Threshold"))
    window_days = forms.IntegerField(required=False, label=_("Over the last, days"), initial=7)
    mode = forms.ChoiceField(
        required=False,
        label=_("No contact"),
        choices=[("cadence", _("beyond the client's own cadence")), ("days", _("for a fixed number of days"))],
    )
    days = forms.IntegerField(required=False, label=_("Days"))
    grace_days = forms.IntegerField(required=False, label=_("Grace days after the cadence"), initial=0)
    points = forms.FloatField(required=False, label=_("Points"))
    min_days = forms.IntegerField(required=False, label=_("Overdue by more than, days"), initial=0)
    roles = forms.MultipleChoiceField(
        required=False,
        choices=[(r, ContactRole(r).label) for r in rules.KEY_ROLES],
        widget=forms.CheckboxSelectMultiple,
        initial=list(rules.KEY_ROLES),
    )
    within_days = forms.IntegerField(required=False, label=_("Left within, days"), initial=30)
    max_score = forms.IntegerField(
        required=False, label=_("NPS score at most (0-9)"), initial=6, help_text=_("6 or less is a detractor.")
    )
    late_days = forms.IntegerField(
        required=False,
        label=_("Late by more than, days (beyond the KPI's expected frequency)"),
        help_text=_("Leave the KPI empty to watch all of the client's KPIs."),
        initial=7,
    )

    class Meta:
        model = TriggerRule
        fields = ["name", "kind", "severity", "segment", "team", "cooldown_days", "auto_close", "is_active"]

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["name"].widget.attrs["autofocus"] = True
        self.fields["kind"].choices = RuleKind.choices
        self.fields["severity"].choices = Severity.choices
        self.fields["segment"] = forms.ChoiceField(
            required=False, choices=[("", _("All segments")), *Segment.choices], label=_("Segment")
        )
        self.fields["metric"].choices = [("", "—")] + [
            (m.key, m.name) for m in Metric.objects.filter(is_active=True).order_by("name")
        ]
        if user.is_admin_role:
            self.fields["team"].queryset = Team.objects.all()
            self.fields["team"].empty_label = _("All teams (global rule)")
        else:
            self.fields["team"].queryset = Team.objects.filter(pk=user.team_id)
            self.fields["team"].required = True
            self.fields["team"].empty_label = None
        if self.instance.pk:
            self.fields["version"].initial = self.instance.version
            for name, value in (self.instance.params or {}).items():
                if name in self.fields:
                    self.fields[name].initial = value
        for name in {n for names in PARAM_FIELDS.values() for n in names}:
            kinds = " ".join(k for k, names in PARAM_FIELDS.items() if name in names)
            self.fields[name].widget.attrs["data-kinds"] = kinds

    def params(self) -> dict:
        kind = self.cleaned_data.get("kind")
        return {
            name: self.cleaned_data.get(name)
            for name in PARAM_FIELDS.get(kind, [])
            if self.cleaned_data.get(name) not in (None, "", [])
        }


class BacktestForm(forms.Form):
    period = forms.TypedChoiceField(
        label=_("Period"),
        choices=[(90, _("Last 90 days")), (180, _("Last 180 days")), (365, _("Last 365 days"))],
        coerce=int,
        initial=90,
    )
    horizon = forms.IntegerField(
        label=_("Warning horizon, days"),
        min_value=1,
        max_value=365,
        initial=90,
        required=False,
        help_text=_("A churn counts as warned when a flag of the rule was live within this many days before it."),
    )
