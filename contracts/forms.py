from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from clients.models import Client, Segment
from contracts.files import ALLOWED_EXTENSIONS
from contracts.models import (
    Contract,
    Document,
    DocumentKind,
    Invoice,
    InvoiceStatus,
    Renewal,
    RenewalStage,
    SignatureStatus,
)
from core.filters import StrictBooleanField
from core.locking import VersionedFormMixin
from users.models import User

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _compact(form: forms.Form) -> None:
    """Bootstrap's small controls on a filter bar."""
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, forms.CheckboxInput):
            widget.attrs.setdefault("class", "form-check-input")
        elif not isinstance(widget, forms.HiddenInput):
            css = "form-select form-select-sm" if hasattr(widget, "choices") else "form-control form-control-sm"
            widget.attrs.setdefault("class", css)


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
        fields = ["stage", "forecast_call", "forecast_amount", "new_value", "churn_reason", "churn_category", "notes"]
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
        _compact(self)


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


class InvoiceForm(VersionedFormMixin, forms.ModelForm):
    class Meta:
        model = Invoice
        fields = ["number", "contract", "status", "amount", "currency", "issued_on", "due_on", "paid_on", "notes"]
        widgets = {
            "issued_on": DATE_INPUT,
            "due_on": DATE_INPUT,
            "paid_on": DATE_INPUT,
            "notes": forms.Textarea(attrs={"rows": 2}),
        }
        help_texts = {
            "due_on": _("Left empty on an issued invoice: 30 days after the issue date."),
            "currency": _("Left empty: the contract's currency."),
        }

    def __init__(self, *args, client: Client, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["contract"].queryset = Contract.objects.filter(client=client).order_by("-start_date")
        self.fields["currency"].required = False
        self.fields["currency"].widget.attrs["maxlength"] = 3
        self.fields["amount"].min_value = 0

    def clean_currency(self):
        value = (self.cleaned_data.get("currency") or "").strip().upper()
        if value and (len(value) != 3 or not value.isalpha()):
            raise ValidationError(_("Use a 3-letter ISO currency code, e.g. EUR."))
        return value

    def service_fields(self) -> dict:
        return {k: v for k, v in self.cleaned_data.items() if k != "version"}

    def _post_clean(self):
        pass


class InvoiceFilterForm(forms.Form):
    status = forms.ChoiceField(choices=[("", _("Any status")), *InvoiceStatus.choices], required=False)
    overdue = forms.BooleanField(required=False, label=_("Overdue only"))
    owner = forms.ModelChoiceField(
        queryset=User.objects.none(), required=False, label=_("Account manager"), empty_label=_("All AMs")
    )
    client = forms.IntegerField(required=False, widget=forms.HiddenInput)
    sort = forms.ChoiceField(
        choices=[
            ("due_on", _("Due date")),
            ("-due_on", _("Due date, latest first")),
            ("-amount", _("Amount, largest first")),
            ("number", _("Number")),
            ("client", _("Client")),
        ],
        required=False,
        label=_("Sort by"),
    )

    def __init__(self, *args, owners, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = owners
        _compact(self)


class DocumentForm(VersionedFormMixin, forms.ModelForm):
    """Upload (with the file) or edit (without) a document."""

    file = forms.FileField(label=_("File"), required=True)

    class Meta:
        model = Document
        fields = [
            "title",
            "kind",
            "contract",
            "invoice",
            "period_start",
            "period_end",
            "signature",
            "awaiting_since",
            "signed_on",
        ]
        widgets = {
            "period_start": DATE_INPUT,
            "period_end": DATE_INPUT,
            "awaiting_since": DATE_INPUT,
            "signed_on": DATE_INPUT,
        }
        help_texts = {
            "title": _("Left empty: the file's name."),
            "period_start": _("Closing documents (acts): the period they close."),
            "awaiting_since": _("When it was sent for signature; left empty: today."),
        }

    def __init__(self, *args, client: Client, with_file: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["contract"].queryset = Contract.objects.filter(client=client).order_by("-start_date")
        self.fields["invoice"].queryset = Invoice.objects.filter(client=client).order_by("-issued_on", "-pk")
        self.fields["title"].required = False
        if with_file:
            limit = filesizeformat(settings.DOCUMENT_MAX_BYTES)
            self.fields["file"].help_text = _("Up to %(limit)s: %(types)s.") % {
                "limit": limit,
                "types": ", ".join(ALLOWED_EXTENSIONS),
            }
            self.fields["file"].widget.attrs["accept"] = ",".join(ALLOWED_EXTENSIONS)
        else:
            del self.fields["file"]

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > settings.DOCUMENT_MAX_BYTES:
            raise ValidationError(
                _("The file is larger than %(limit)s.") % {"limit": filesizeformat(settings.DOCUMENT_MAX_BYTES)}
            )
        return upload

    def service_fields(self) -> dict:
        data = {k: v for k, v in self.cleaned_data.items() if k not in {"version", "file"}}
        if not data.get("title"):
            data.pop("title", None)
        return data

    def _post_clean(self):
        pass


class DocumentFilterForm(forms.Form):
    kind = forms.ChoiceField(choices=[("", _("Any kind")), *DocumentKind.choices], required=False)
    signature = forms.ChoiceField(choices=[("", _("Any signature state")), *SignatureStatus.choices], required=False)
    awaiting_days = forms.IntegerField(
        required=False, min_value=0, max_value=3650, label=_("Awaiting for at least (days)")
    )
    owner = forms.ModelChoiceField(
        queryset=User.objects.none(), required=False, label=_("Account manager"), empty_label=_("All AMs")
    )
    client = forms.IntegerField(required=False, widget=forms.HiddenInput)
    contract = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, owners, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = owners
        _compact(self)
