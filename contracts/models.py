from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from clients.models import ChurnReason, Client, Handoff


class ExchangeRate(models.Model):
    """How many units of the base currency (settings.BASE_CURRENCY) one unit of ``currency`` was worth on ``date``."""

    currency = models.CharField(_("currency"), max_length=3)
    date = models.DateField(_("date"))
    rate = models.DecimalField(_("rate to the base currency"), max_digits=20, decimal_places=10)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("created by")
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-date", "currency"]
        verbose_name = _("exchange rate")
        constraints = [
            models.UniqueConstraint(fields=["currency", "date"], name="exchange_rate_one_per_day"),
            models.CheckConstraint(condition=Q(rate__gt=0), name="exchange_rate_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.currency} {self.date}: {self.rate}"


class ContractKind(models.TextChoices):
    NEW = "new", _("New")
    RENEWAL = "renewal", _("Renewal")
    UPSELL = "upsell", _("Upsell / expansion")
    DOWNSELL = "downsell", _("Downsell")
    AMENDMENT = "amendment", _("Amendment / supplementary agreement")


class ContractStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SENT = "sent", _("Sent")
    SIGNED = "signed", _("Signed")
    ACTIVE = "active", _("Active")
    EXPIRED = "expired", _("Expired")
    TERMINATED = "terminated", _("Terminated")


# Contracts that were agreed: their dates say when they count towards ARR (a terminated one until it ended).
BINDING_STATUSES = {ContractStatus.SIGNED, ContractStatus.ACTIVE, ContractStatus.EXPIRED, ContractStatus.TERMINATED}


class BillingPeriod(models.TextChoices):
    MONTHLY = "monthly", _("Monthly")
    QUARTERLY = "quarterly", _("Quarterly")
    ANNUAL = "annual", _("Annual")
    UPFRONT = "upfront", _("Upfront (whole term)")


class Contract(models.Model):
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="contracts", verbose_name=_("client"))
    number = models.CharField(_("number"), max_length=64, unique=True)
    kind = models.CharField(_("kind"), max_length=12, choices=ContractKind.choices, default=ContractKind.NEW)
    start_date = models.DateField(_("start"))
    end_date = models.DateField(_("end"))
    term_months = models.PositiveSmallIntegerField(_("term (months)"))
    # The value of the whole term; ARR is value / term * 12 (a downsell's value is the reduction).
    value = models.DecimalField(_("value"), max_digits=14, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    billing_period = models.CharField(
        _("billing period"), max_length=10, choices=BillingPeriod.choices, default=BillingPeriod.ANNUAL
    )
    auto_renew = models.BooleanField(_("auto-renew"), default=False)
    notice_period_days = models.PositiveSmallIntegerField(_("notice period (days)"), default=90)
    status = models.CharField(_("status"), max_length=12, choices=ContractStatus.choices, default=ContractStatus.DRAFT)
    signed_on = models.DateField(_("signed date"), null=True, blank=True)
    terminated_on = models.DateField(_("terminated on"), null=True, blank=True)
    handoff = models.OneToOneField(
        Handoff,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="contract",
        editable=False,
        verbose_name=_("handoff"),
    )
    # The id in the system it was imported from (Salesforce Contract Id), when there is one.
    external_id = models.CharField(_("external id"), max_length=64, blank=True, editable=False)
    notes = models.TextField(_("notes"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("created by")
    )
    version = models.PositiveIntegerField(_("version"), default=1)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-start_date", "-pk"]
        verbose_name = _("contract")
        indexes = [
            models.Index(fields=["client", "status"]),
            models.Index(fields=["end_date"]),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(value__gte=0), name="contract_value_non_negative"),
            models.CheckConstraint(condition=Q(end_date__gte=models.F("start_date")), name="contract_ends_after_start"),
            models.CheckConstraint(condition=Q(term_months__gte=1), name="contract_term_positive"),
        ]

    def __str__(self) -> str:
        return self.number


class RenewalStage(models.TextChoices):
    NOT_STARTED = "not_started", _("Not started")
    IN_PROGRESS = "in_progress", _("In progress")
    AT_RISK = "at_risk", _("At risk")
    COMMITTED = "committed", _("Committed")
    RENEWED = "renewed", _("Renewed")
    CHURNED = "churned", _("Churned")
    DOWNSOLD = "downsold", _("Downsold")


CLOSED_STAGES = {RenewalStage.RENEWED, RenewalStage.CHURNED, RenewalStage.DOWNSOLD}


class ForecastCall(models.TextChoices):
    NONE = "", _("No call yet")
    PIPELINE = "pipeline", _("Pipeline")
    BEST_CASE = "best_case", _("Best case")
    COMMIT = "commit", _("Commit")
    LOST = "lost", _("Will not renew")


class Renewal(models.Model):
    """The renewal of one contract, opened as its end approaches and closed with its outcome."""

    contract = models.OneToOneField(
        Contract, on_delete=models.CASCADE, related_name="renewal", verbose_name=_("contract")
    )
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="renewals", verbose_name=_("client"))
    due_on = models.DateField(_("due on"))
    stage = models.CharField(_("stage"), max_length=12, choices=RenewalStage.choices, default=RenewalStage.NOT_STARTED)
    forecast_call = models.CharField(_("forecast call"), max_length=10, choices=ForecastCall.choices, blank=True)
    forecast_amount = models.DecimalField(_("forecast amount"), max_digits=14, decimal_places=2, null=True, blank=True)
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    new_value = models.DecimalField(_("new value"), max_digits=14, decimal_places=2, null=True, blank=True)
    churn_reason = models.TextField(_("churn reason"), blank=True)
    # The category of the churn (the client lifecycle's reasons); the text above says it in the AM's words.
    churn_category = models.CharField(
        _("churn category"), max_length=20, choices=ChurnReason.choices, blank=True, default=""
    )
    notes = models.TextField(_("notes"), blank=True)
    # Computed by the product from health, flags and engagement (flags.likelihood, kept by flags' daily run and
    # whenever the AM changes the renewal): a percentage, and the factors behind it as codes with parameters.
    likelihood = models.PositiveSmallIntegerField(_("computed likelihood (%)"), null=True, blank=True, editable=False)
    likelihood_factors = models.JSONField(_("likelihood factors"), default=list, blank=True, editable=False)
    likelihood_on = models.DateField(_("likelihood on"), null=True, blank=True, editable=False)
    version = models.PositiveIntegerField(_("version"), default=1)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    history = HistoricalRecords(excluded_fields=["likelihood", "likelihood_factors", "likelihood_on"])

    class Meta:
        ordering = ["due_on", "pk"]
        verbose_name = _("renewal")
        indexes = [models.Index(fields=["stage", "due_on"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(forecast_amount__isnull=True) | Q(forecast_amount__gte=0),
                name="renewal_forecast_non_negative",
            ),
            models.CheckConstraint(
                condition=Q(new_value__isnull=True) | Q(new_value__gte=0), name="renewal_new_value_non_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.contract} ({self.due_on})"

    @property
    def is_closed(self) -> bool:
        return self.stage in CLOSED_STAGES


# --- invoices and documents ----------------------------------------------------------------------


class InvoiceStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    ISSUED = "issued", _("Issued")
    PAID = "paid", _("Paid")
    OVERDUE = "overdue", _("Overdue")
    VOID = "void", _("Void")


# Issued and not paid yet: what waits for a payment.
UNPAID_STATUSES = {InvoiceStatus.ISSUED, InvoiceStatus.OVERDUE}


class Invoice(models.Model):
    number = models.CharField(_("number"), max_length=64, unique=True)
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="invoices", verbose_name=_("client"))
    contract = models.ForeignKey(
        Contract,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="invoices",
        verbose_name=_("contract"),
    )
    issued_on = models.DateField(_("issue date"), null=True, blank=True)
    due_on = models.DateField(_("due date"), null=True, blank=True)
    paid_on = models.DateField(_("paid date"), null=True, blank=True)
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    status = models.CharField(_("status"), max_length=10, choices=InvoiceStatus.choices, default=InvoiceStatus.DRAFT)
    notes = models.TextField(_("notes"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("created by")
    )
    version = models.PositiveIntegerField(_("version"), default=1)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-issued_on", "-pk"]
        verbose_name = _("invoice")
        indexes = [models.Index(fields=["status", "due_on"]), models.Index(fields=["client", "status"])]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="invoice_amount_non_negative"),
            models.CheckConstraint(
                condition=Q(due_on__isnull=True) | Q(issued_on__isnull=True) | Q(due_on__gte=models.F("issued_on")),
                name="invoice_due_not_before_issue",
            ),
            models.CheckConstraint(
                condition=~Q(status="paid") | Q(paid_on__isnull=False), name="invoice_paid_has_date"
            ),
        ]

    def __str__(self) -> str:
        return self.number


class DocumentKind(models.TextChoices):
    SIGNED_CONTRACT = "contract", _("Signed contract")
    SUPPLEMENTARY = "supplementary", _("Supplementary agreement")
    CLOSING = "closing", _("Closing documents (act)")
    INVOICE = "invoice", _("Invoice PDF")
    OTHER = "other", _("Other")


class SignatureStatus(models.TextChoices):
    NOT_NEEDED = "not_needed", _("No signature needed")
    AWAITING = "awaiting", _("Awaiting signature")
    SIGNED = "signed", _("Signed")


class Document(models.Model):
    """A file attached to a client (and optionally one of its contracts or invoices), kept in Django's default
    storage under a random name; downloaded only through a view that checks the client like every page."""

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="documents", verbose_name=_("client"))
    contract = models.ForeignKey(
        Contract, null=True, blank=True, on_delete=models.PROTECT, related_name="documents", verbose_name=_("contract")
    )
    invoice = models.ForeignKey(
        Invoice, null=True, blank=True, on_delete=models.PROTECT, related_name="documents", verbose_name=_("invoice")
    )
    kind = models.CharField(_("kind"), max_length=14, choices=DocumentKind.choices, default=DocumentKind.OTHER)
    title = models.CharField(_("title"), max_length=200)
    file = models.FileField(_("file"), max_length=300)
    original_name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("content type"), max_length=100)
    size = models.PositiveBigIntegerField(_("size (bytes)"))
    sha256 = models.CharField(_("sha256"), max_length=64)
    # Closing documents (acts) carry the period they close.
    period_start = models.DateField(_("period from"), null=True, blank=True)
    period_end = models.DateField(_("period to"), null=True, blank=True)
    signature = models.CharField(
        _("signature"), max_length=12, choices=SignatureStatus.choices, default=SignatureStatus.NOT_NEEDED
    )
    awaiting_since = models.DateField(_("awaiting signature since"), null=True, blank=True)
    signed_on = models.DateField(_("signed on"), null=True, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("uploaded by")
    )
    version = models.PositiveIntegerField(_("version"), default=1)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("document")
        indexes = [models.Index(fields=["signature", "awaiting_since"]), models.Index(fields=["client", "kind"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(period_end__isnull=True)
                | Q(period_start__isnull=True)
                | Q(period_end__gte=models.F("period_start")),
                name="document_period_in_order",
            ),
            models.CheckConstraint(
                condition=~Q(signature="signed") | Q(signed_on__isnull=False), name="document_signed_has_date"
            ),
        ]

    def __str__(self) -> str:
        return self.title
