from django import forms
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from clients.models import Segment
from contracts.models import Contract, Renewal, RenewalStage
from core.filters import StrictBooleanField
from core.locking import VersionedFormMixin
from users.models import User

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class ContractForm(VersionedFormMixin, forms.ModelForm):
    class Meta:
        model = Contract
        fields = [
            "number",
            "kind",
            "status",
            "start_date",
            "term_months",
            "end_date",
            "value",
            "currency",
            "billing_period",
            "auto_renew",
            "notice_period_days",
            "signed_on",
            "terminated_on",
            "notes",
        ]
        widgets = {
            "start_date": DATE_INPUT,
            "end_date": DATE_INPUT,
            "signed_on": DATE_INPUT,
            "terminated_on": DATE_INPUT,
            "notes": forms.Textarea(attrs={"rows": 3}),
        }
        help_texts = {
            "value": _("The value of the whole term; ARR is value / term × 12. A downsell's value is the reduction."),
            "end_date": _("Left empty: the last day of the term."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["end_date"].required = False
        self.fields["currency"].widget.attrs["maxlength"] = 3

    def clean_currency(self):
        value = self.cleaned_data["currency"].strip().upper()
        if len(value) != 3 or not value.isalpha():
            raise ValidationError(_("Use a 3-letter ISO currency code, e.g. EUR."))
        return value

    def clean(self):
        data = super().clean()
        start, end = data.get("start_date"), data.get("end_date")
        if start and end and end < start:
            self.add_error("end_date", _("The contract cannot end before it starts."))
        return data

    def service_fields(self) -> dict:
        data = {k: v for k, v in self.cleaned_data.items() if k != "version"}
        if data.get("end_date") is None:
            data.pop("end_date", None)
        return data

    def _post_clean(self):
        # The service builds and checks the contract (the end date may be derived from the term).
        pass


class RenewalForm(VersionedFormMixin, forms.ModelForm):
    class Meta:
        model = Renewal
        fields = ["stage", "forecast_call", "forecast_amount", "new_value", "churn_reason", "notes"]
        widgets = {"churn_reason": forms.Textarea(attrs={"rows": 2}), "notes": forms.Textarea(attrs={"rows": 3})}
        help_texts = {
            "new_value": _("When renewed or downsold: the value of the new term."),
            "churn_reason": _("Required when the client churned."),
        }

    def _post_clean(self):
        pass


class RenewalFilterForm(forms.Form):
    owner = forms.ModelChoiceField(queryset=User.objects.none(), required=False, label=_("Account manager"))
    stage = forms.ChoiceField(choices=[("", _("Open (any stage)")), *RenewalStage.choices], required=False)
    segment = forms.ChoiceField(choices=[("", _("Any segment")), *Segment.choices], required=False)
    key_account = StrictBooleanField(required=False, label=_("Key account"))

    def __init__(self, *args, owners, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = owners


class UploadForm(forms.Form):
    file = forms.FileField(label=_("CSV file"))

    def __init__(self, *args, max_bytes: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.max_bytes = max_bytes

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > self.max_bytes:
            raise ValidationError(
                _("The file is larger than %(limit)s; split it.") % {"limit": filesizeformat(self.max_bytes)}
            )
        return upload


class ExchangeRateForm(forms.Form):
    currency = forms.CharField(max_length=3, label=_("Currency"))
    date = forms.DateField(widget=DATE_INPUT, label=_("Date"))
    rate = forms.DecimalField(max_digits=20, decimal_places=10, min_value=0, label=_("Rate to the base currency"))

    def clean_currency(self):
        value = self.cleaned_data["currency"].strip().upper()
        if len(value) != 3 or not value.isalpha():
            raise ValidationError(_("Use a 3-letter ISO currency code, e.g. EUR."))
        return value
