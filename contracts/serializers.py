from decimal import Decimal

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from clients.models import Client
from contracts import selectors
from contracts.models import Contract, Document, ExchangeRate, Invoice, Renewal
from core.api import ScopedRelationsMixin
from core.locking import VersionedSerializerMixin


class ContractSerializer(ScopedRelationsMixin, VersionedSerializerMixin, serializers.ModelSerializer):
    scoped_relations = {"client": "client_queryset"}
    client = serializers.PrimaryKeyRelatedField(queryset=Client.objects.none())
    end_date = serializers.DateField(required=False, help_text=_("Left out: the last day of the term."))
    annual_value = serializers.SerializerMethodField(help_text=_("The contract's ARR (a downsell is negative)."))

    class Meta:
        model = Contract
        fields = [
            "id",
            "client",
            "number",
            "kind",
            "start_date",
            "end_date",
            "term_months",
            "value",
            "currency",
            "annual_value",
            "billing_period",
            "auto_renew",
            "notice_period_days",
            "status",
            "signed_on",
            "terminated_on",
            "notes",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]
        # Uniqueness and date order are checked by the service (one message for the page and the API).
        validators = []
        extra_kwargs = {"number": {"validators": []}}

    @extend_schema_field(serializers.DecimalField(max_digits=16, decimal_places=2))  # a decimal string
    def get_annual_value(self, contract: Contract) -> str:
        return str(selectors.annual_value(contract))  # a string, like every Decimal of the API

    def validate(self, attrs):
        attrs = super().validate(attrs)
        if self.instance is not None and "client" in attrs and attrs["client"].pk != self.instance.client_id:
            raise serializers.ValidationError({"client": [_("A contract cannot move to another client.")]})
        return attrs


class RenewalSerializer(VersionedSerializerMixin, serializers.ModelSerializer):
    class Meta:
        model = Renewal
        fields = [
            "id",
            "contract",
            "client",
            "due_on",
            "stage",
            "forecast_call",
            "forecast_amount",
            "closed_on",
            "new_value",
            "churn_reason",
            "churn_category",
            "likelihood",
            "likelihood_factors",
            "notes",
            "version",
        ]
        read_only_fields = ["contract", "client", "due_on", "closed_on", "likelihood", "likelihood_factors"]


class ExchangeRateSerializer(serializers.ModelSerializer):
    rate = serializers.DecimalField(max_digits=20, decimal_places=10, min_value=Decimal("0.0000000001"))

    class Meta:
        model = ExchangeRate
        fields = ["id", "currency", "date", "rate"]
        validators = []  # the service upserts one rate per (currency, date)


class ExchangeRateBatchSerializer(serializers.Serializer):
    rates = ExchangeRateSerializer(many=True, allow_empty=False, max_length=10_000)


class InvoiceSerializer(ScopedRelationsMixin, VersionedSerializerMixin, serializers.ModelSerializer):
    scoped_relations = {"client": "client_queryset", "contract": "contract_queryset"}
    client = serializers.PrimaryKeyRelatedField(queryset=Client.objects.none())
    contract = serializers.PrimaryKeyRelatedField(queryset=Contract.objects.none(), required=False, allow_null=True)
    currency = serializers.CharField(
        max_length=3, required=False, allow_blank=True, help_text=_("Left out: the contract's currency.")
    )

    class Meta:
        model = Invoice
        fields = [
            "id",
            "number",
            "client",
            "contract",
            "status",
            "amount",
            "currency",
            "issued_on",
            "due_on",
            "paid_on",
            "notes",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]
        validators = []  # the service checks the number, dates and the contract's client
        extra_kwargs = {"number": {"validators": []}}

    def validate(self, attrs):
        attrs = super().validate(attrs)
        if self.instance is not None and "client" in attrs and attrs["client"].pk != self.instance.client_id:
            raise serializers.ValidationError({"client": [_("An invoice cannot move to another client.")]})
        return attrs


class DocumentSerializer(ScopedRelationsMixin, VersionedSerializerMixin, serializers.ModelSerializer):
    """Upload as multipart/form-data with ``file``; the file comes back through ``download_url`` only."""

    scoped_relations = {"client": "client_queryset", "contract": "contract_queryset", "invoice": "invoice_queryset"}
    client = serializers.PrimaryKeyRelatedField(queryset=Client.objects.none())
    contract = serializers.PrimaryKeyRelatedField(queryset=Contract.objects.none(), required=False, allow_null=True)
    invoice = serializers.PrimaryKeyRelatedField(queryset=Invoice.objects.none(), required=False, allow_null=True)
    file = serializers.FileField(write_only=True, required=False)
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = Document
        fields = [
            "id",
            "client",
            "contract",
            "invoice",
            "kind",
            "title",
            "file",
            "original_name",
            "content_type",
            "size",
            "sha256",
            "period_start",
            "period_end",
            "signature",
            "awaiting_since",
            "signed_on",
            "download_url",
            "version",
            "created_at",
        ]
        read_only_fields = ["original_name", "content_type", "size", "sha256", "awaiting_since", "created_at"]
        extra_kwargs = {"title": {"required": False}}

    def get_download_url(self, document: Document) -> str:
        return reverse("document-download", args=[document.pk])

    def validate(self, attrs):
        attrs = super().validate(attrs)
        if self.instance is None and not attrs.get("file"):
            raise serializers.ValidationError({"file": [_("Attach the file.")]})
        if self.instance is not None and "file" in attrs:
            raise serializers.ValidationError({"file": [_("A document's file cannot be replaced; upload a new one.")]})
        if self.instance is not None and "client" in attrs and attrs["client"].pk != self.instance.client_id:
            raise serializers.ValidationError({"client": [_("A document cannot move to another client.")]})
        return attrs
