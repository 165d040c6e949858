from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from clients.models import Client, Handoff


class ExchangeRate(models.Model):
    """How many units of the base currency (settings.BASE_CURRENCY) one unit of ``currency`` was worth on ``date``."""

    currency = models.CharField(_("currency"), max_length=3)
    date = models.DateField(_("date"))
    rate = models.DecimalField(_("rate to the base currency"), max_digits=20, decimal_places=10)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

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
        Handoff, null=True, blank=True, on_delete=models.SET_NULL, related_name="contract", editable=False
    )
    # The id in the system it was imported from (Salesforce Contract Id), when there is one.
    external_id = models.CharField(max_length=64, blank=True, editable=False)
    notes = models.TextField(_("notes"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

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

    contract = models.OneToOneField(Contract, on_delete=models.CASCADE, related_name="renewal")
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="renewals")
    due_on = models.DateField(_("due on"))
    stage = models.CharField(_("stage"), max_length=12, choices=RenewalStage.choices, default=RenewalStage.NOT_STARTED)
    forecast_call = models.CharField(_("forecast call"), max_length=10, choices=ForecastCall.choices, blank=True)
    forecast_amount = models.DecimalField(_("forecast amount"), max_digits=14, decimal_places=2, null=True, blank=True)
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    new_value = models.DecimalField(_("new value"), max_digits=14, decimal_places=2, null=True, blank=True)
    churn_reason = models.TextField(_("churn reason"), blank=True)
    notes = models.TextField(_("notes"), blank=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()

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
