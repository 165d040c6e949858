from django import forms
from django.utils.translation import gettext_lazy as _

from health import scoring
from health.scoring import KPI_LEVEL, KPI_TREND, METRIC_KINDS
from kpis.models import Metric

# What each kind of component measures, in words (the scoring module's names are for the code).
KIND_CHOICES = [
    ("", "—"),
    (scoring.KPI_TREND, _("KPI trend: recent days against the days before")),
    (scoring.KPI_LEVEL, _("KPI value between an alarming and a healthy level")),
    (scoring.ENGAGEMENT, _("Contact kept within the cadence")),
    (scoring.COMMITMENTS, _("Commitments kept on time")),
    (scoring.REVIEW_RECENCY, _("Time since the last account review")),
    (scoring.RENEWAL_PROXIMITY, _("Time left to the renewal")),
    (scoring.DATA_FRESHNESS, _("KPI data arriving on time")),
]


class ComponentForm(forms.Form):
    """One row of the health model: every rule of ``scoring.parse_model`` is checked here first, so a mistake shows
    on the field it is about, in words, before anything is previewed or confirmed."""

    kind = forms.ChoiceField(label=_("Component"), choices=KIND_CHOICES, required=False)
    metric = forms.ChoiceField(label=_("KPI"), required=False, help_text=_("For the two KPI components."))
    window_days = forms.IntegerField(
        label=_("Window (days)"),
        required=False,
        initial=28,
        min_value=1,
        max_value=365,
        error_messages={
            "min_value": _("The window is a number of days from 1 to 365."),
            "max_value": _("The window is a number of days from 1 to 365."),
            "invalid": _("The window is a whole number of days."),
        },
    )
    weight = forms.FloatField(
        label=_("Weight"),
        required=False,
        initial=1,
        min_value=0,
        error_messages={"min_value": _("A weight is zero or more."), "invalid": _("A weight is a number.")},
    )
    good = forms.FloatField(
        label=_("Healthy value"),
        required=False,
        help_text=_("KPI value: the value that scores 100."),
        error_messages={"invalid": _("Enter a number.")},
    )
    bad = forms.FloatField(
        label=_("Alarming value"),
        required=False,
        help_text=_("KPI value: the value that scores 0."),
        error_messages={"invalid": _("Enter a number.")},
    )
    drop_to_zero = forms.FloatField(
        label=_("Fall that scores 0"),
        required=False,
        initial=0.5,
        min_value=0.01,
        max_value=10,
        # xgettext:no-python-format
        help_text=_("KPI trend: 0.5 means a 50% fall scores 0."),
        error_messages={
            # %% : Django fills these two with %(limit_value)s.
            "min_value": _("The fall that scores 0 is from 0.01 (1%%) to 10 (1000%%); 0.5 is a 50%% fall."),
            "max_value": _("The fall that scores 0 is from 0.01 (1%%) to 10 (1000%%); 0.5 is a 50%% fall."),
            # xgettext:no-python-format
            "invalid": _("Enter a number, such as 0.5 for a 50% fall."),
        },
    )
    label = forms.CharField(label=_("Label"), required=False, max_length=80)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["metric"].choices = [("", "—")] + [
            (m.key, m.name) for m in Metric.objects.filter(is_active=True).order_by("name")
        ]
        for field in self.fields.values():
            css = (
                "form-select form-select-sm" if isinstance(field, forms.ChoiceField) else "form-control form-control-sm"
            )
            field.widget.attrs["class"] = css
            field.widget.attrs["aria-label"] = str(field.label)
        self.fields["weight"].widget.attrs["data-weight"] = "1"

    def clean(self):
        cleaned = super().clean()
        kind = cleaned.get("kind")
        if kind in METRIC_KINDS and not cleaned.get("metric") and "metric" not in self.errors:
            self.add_error("metric", _("Choose the KPI this component reads."))
        if kind == KPI_LEVEL:
            good, bad = cleaned.get("good"), cleaned.get("bad")
            if good is None and "good" not in self.errors:
                self.add_error("good", _("Enter the KPI value that scores 100."))
            if bad is None and "bad" not in self.errors:
                self.add_error("bad", _("Enter the KPI value that scores 0."))
            if good is not None and bad is not None and good == bad:
                self.add_error("bad", _("The alarming value must differ from the healthy value."))
        return cleaned

    def as_component(self) -> dict | None:
        data = self.cleaned_data
        if not data.get("kind"):
            return None
        params = {}
        if data["kind"] in {KPI_TREND, KPI_LEVEL}:
            params = {"metric": data.get("metric") or "", "window_days": data.get("window_days") or 28}
            if data["kind"] == KPI_LEVEL:
                params.update({"good": data.get("good"), "bad": data.get("bad")})
            else:
                params["drop_to_zero"] = data.get("drop_to_zero") or 0.5
        component = {"kind": data["kind"], "weight": data.get("weight") or 0, "params": params}
        if data.get("label"):
            component["label"] = data["label"]
        return component


class BaseComponentFormSet(forms.BaseFormSet):
    def clean(self):
        if any(self.errors):
            return
        rows = [form.cleaned_data for form in self.forms if form.cleaned_data.get("kind")]
        if not rows:
            raise forms.ValidationError(_("A health model needs at least one component: choose one in the first row."))
        if not any((row.get("weight") or 0) > 0 for row in rows):
            raise forms.ValidationError(_("At least one component needs a weight above zero."))


ComponentFormSet = forms.formset_factory(ComponentForm, formset=BaseComponentFormSet, extra=2, max_num=20)


class BandsForm(forms.Form):
    _range = {
        "min_value": _("A band starts at a score from 0 to 100."),
        "max_value": _("A band starts at a score from 0 to 100."),
        "required": _("Enter the score where this band starts."),
        "invalid": _("Enter a score from 0 to 100."),
    }
    green_min = forms.FloatField(min_value=0, max_value=100, label=_("Green from"), error_messages=_range)
    yellow_min = forms.FloatField(
        min_value=0, max_value=100, label=_("Yellow from (below: red)"), error_messages=_range
    )
    notes = forms.CharField(required=False, max_length=500, label=_("What changed and why"))

    def clean(self):
        cleaned = super().clean()
        if (
            cleaned.get("green_min") is not None
            and cleaned.get("yellow_min") is not None
            and cleaned["yellow_min"] > cleaned["green_min"]
        ):
            self.add_error("yellow_min", _("Yellow must start at or below green."))
        return cleaned


def initial_components(components: list[dict]) -> list[dict]:
    rows = []
    for component in components:
        params = component.get("params") or {}
        rows.append(
            {
                "kind": component.get("kind"),
                "metric": params.get("metric", ""),
                "window_days": params.get("window_days"),
                "weight": component.get("weight"),
                "good": params.get("good"),
                "bad": params.get("bad"),
                "drop_to_zero": params.get("drop_to_zero"),
                "label": component.get("label", ""),
            }
        )
    return rows
