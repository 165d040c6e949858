from django import forms

from health.scoring import COMPONENT_KINDS
from kpis.models import Metric


class ComponentForm(forms.Form):
    kind = forms.ChoiceField(choices=[("", "—"), *list(COMPONENT_KINDS.items())], required=False)
    metric = forms.ChoiceField(required=False, help_text="For KPI components.")
    window_days = forms.IntegerField(min_value=1, max_value=365, required=False, initial=28)
    weight = forms.FloatField(min_value=0, required=False, initial=1)
    good = forms.FloatField(required=False, help_text="KPI level: 100 at this value.")
    bad = forms.FloatField(required=False, help_text="KPI level: 0 at this value.")
    drop_to_zero = forms.FloatField(required=False, min_value=0.01, max_value=10, initial=0.5)
    label = forms.CharField(required=False, max_length=80)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["metric"].choices = [("", "—")] + [
            (m.key, m.name) for m in Metric.objects.filter(is_active=True).order_by("name")
        ]
        for name, field in self.fields.items():
            css = (
                "form-select form-select-sm" if isinstance(field, forms.ChoiceField) else "form-control form-control-sm"
            )
            field.widget.attrs["class"] = css
            field.widget.attrs["aria-label"] = name.replace("_", " ")

    def as_component(self) -> dict | None:
        data = self.cleaned_data
        if not data.get("kind"):
            return None
        params = {}
        if data["kind"] in {"kpi_trend", "kpi_level"}:
            params = {"metric": data.get("metric") or "", "window_days": data.get("window_days") or 28}
            if data["kind"] == "kpi_level":
                params.update({"good": data.get("good"), "bad": data.get("bad")})
            else:
                params["drop_to_zero"] = data.get("drop_to_zero") or 0.5
        component = {"kind": data["kind"], "weight": data.get("weight") or 0, "params": params}
        if data.get("label"):
            component["label"] = data["label"]
        return component


ComponentFormSet = forms.formset_factory(ComponentForm, extra=2, max_num=20)


class BandsForm(forms.Form):
    green_min = forms.FloatField(min_value=0, max_value=100, label="Green from")
    yellow_min = forms.FloatField(min_value=0, max_value=100, label="Yellow from (below: red)")
    notes = forms.CharField(required=False, max_length=500, label="What changed and why")

    def clean(self):
        cleaned = super().clean()
        if (
            cleaned.get("green_min") is not None
            and cleaned.get("yellow_min") is not None
            and cleaned["yellow_min"] > cleaned["green_min"]
        ):
            raise forms.ValidationError("Yellow must start at or below green.")
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
