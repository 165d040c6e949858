from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from clients.validators import MAX_CADENCE_DAYS, validate_phone
from core.constraints import FieldConstraintsMixin
from core.formats import format_day
from users.models import Team


class ClientStatus(models.TextChoices):
    PROSPECT = "prospect", _("Prospect")
    HANDOFF_PENDING = "handoff_pending", _("Handoff pending")
    ONBOARDING = "onboarding", _("Onboarding")
    ACTIVE = "active", _("Active")
    PAUSED = "paused", _("Paused")
    CHURNED = "churned", _("Churned")


# Statuses in which sales still owns the record; afterwards sales only reads it.
SALES_EDITABLE_STATUSES = {ClientStatus.PROSPECT, ClientStatus.HANDOFF_PENDING}


# Statuses in which an AM looks after the client: these are scored and flagged.
MANAGED_STATUSES = {ClientStatus.ONBOARDING, ClientStatus.ACTIVE, ClientStatus.PAUSED}


# Statuses set by hand on the lifecycle form and API (the handoff statuses belong to the handoff flow).
LIFECYCLE_STATUSES = (ClientStatus.ONBOARDING, ClientStatus.ACTIVE, ClientStatus.PAUSED, ClientStatus.CHURNED)


class Segment(models.TextChoices):
    ENTERPRISE = "enterprise", _("Enterprise")
    MID_MARKET = "mid_market", _("Mid-market")
    SMB = "smb", _("SMB")


class Channel(models.TextChoices):
    PHONE = "phone", _("Phone")
    EMAIL = "email", _("E-mail")
    VIDEO = "video", _("Video call")
    MEETING = "meeting", _("In person")


class Client(FieldConstraintsMixin, models.Model):
    constraint_fields = {"client_arr_non_negative": "arr", "client_cadence_positive": "contact_cadence_days"}

    name = models.CharField(_("name"), max_length=200)
    external_id = models.CharField(
        _("external id"),
        max_length=64,
        unique=True,
        null=True,
        blank=True,
        help_text=_("Id in the sales CRM / company backend."),
    )
    segment = models.CharField(_("segment"), max_length=20, choices=Segment.choices, default=Segment.SMB)
    is_key_account = models.BooleanField(_("key account"), default=False)
    industry = models.CharField(_("industry"), max_length=100, blank=True)
    website = models.CharField(_("website"), max_length=200, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    country = models.CharField(_("country"), max_length=100, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=ClientStatus.choices, default=ClientStatus.PROSPECT)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="owned_clients",
        verbose_name=_("owner"),
    )
    sales_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="sold_clients",
        verbose_name=_("sales owner"),
    )
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.PROTECT, related_name="clients", verbose_name=_("team")
    )
    arr = models.DecimalField(
        _("ARR"),
        max_digits=14,
        decimal_places=2,
        default=0,
        validators=[MinValueValidator(0, message=_("ARR cannot be negative."))],
    )
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    contract_start = models.DateField(_("contract start"), null=True, blank=True)
    renewal_date = models.DateField(_("renewal date"), null=True, blank=True)
    contact_cadence_days = models.PositiveSmallIntegerField(
        _("contact cadence days"),
        default=30,
        help_text=_("Days between touches the client agreed to."),
        validators=[
            MinValueValidator(1, message=_("Contact the client at least every day: enter 1 or more days.")),
            MaxValueValidator(
                MAX_CADENCE_DAYS, message=_("Enter at most %(limit_value)s days (once a year) between touches.")
            ),
        ],
    )
    preferred_channel = models.CharField(
        _("preferred channel"), max_length=10, choices=Channel.choices, default=Channel.EMAIL
    )
    # Denormalised facts kept by the services of apps to the right (DESIGN.md, import direction).
    last_contact_at = models.DateTimeField(_("last contact at"), null=True, blank=True)
    last_review_on = models.DateField(_("last review on"), null=True, blank=True)
    # Last contact + cadence: the day the client expects the next touch (kept with last_contact_at).
    contact_due_on = models.DateField(_("contact due on"), null=True, blank=True)
    archived_at = models.DateTimeField(_("archived at"), null=True, blank=True)
    version = models.PositiveIntegerField(_("version"), default=1)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = _("client")
        verbose_name_plural = _("clients")
        indexes = [
            models.Index(fields=["team", "status"]),
            models.Index(fields=["owner", "status"]),
            models.Index(fields=["sales_owner"]),
            models.Index(fields=["renewal_date"]),
            models.Index(fields=["contact_due_on"]),
            models.Index(fields=["name"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(arr__gte=0),
                name="client_arr_non_negative",
                violation_error_message=_("ARR cannot be negative."),
            ),
            models.CheckConstraint(
                condition=Q(contact_cadence_days__gte=1),
                name="client_cadence_positive",
                violation_error_message=_("Contact the client at least every day: enter 1 or more days."),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None

    def clean(self) -> None:
        if self.contract_start and self.renewal_date and self.renewal_date < self.contract_start:
            raise ValidationError(
                {
                    "renewal_date": _("The renewal date cannot be before the contract start (%(start)s).")
                    % {"start": format_day(self.contract_start)}
                }
            )


class ChurnReason(models.TextChoices):
    PRICE = "price", _("Price")
    PRODUCT_FIT = "product_fit", _("Product did not fit")
    COMPETITOR = "competitor", _("Went to a competitor")
    BUDGET = "budget", _("Budget cut")
    SERVICE = "service", _("Service quality")
    CHAMPION_LEFT = "champion_left", _("Champion left")
    ACQUIRED = "acquired", _("Acquired or merged")
    BUSINESS_CLOSED = "business_closed", _("Went out of business")
    OTHER = "other", _("Other")


class ClientStatusChange(FieldConstraintsMixin, models.Model):
    constraint_fields = {"status_change_churn_reason_only_on_churn": "churn_reason"}

    """One dated step of a client's lifecycle: "live on day D" and churn dates are queries over these rows.

    Written only by clients.services (every status change goes through it). ``effective_on`` is the day the
    change took effect (an admin may back-date it: ``backdated`` and ``created_at`` keep that visible);
    ``downgraded`` marks a contraction that keeps the client (status unchanged, less business).
    """

    client = models.ForeignKey(
        Client, on_delete=models.CASCADE, related_name="status_changes", verbose_name=_("client")
    )
    status = models.CharField(_("status"), max_length=20, choices=ClientStatus.choices)
    previous_status = models.CharField(_("previous status"), max_length=20, choices=ClientStatus.choices, blank=True)
    effective_on = models.DateField(_("effective on"))
    reason = models.TextField(_("reason"), blank=True)
    churn_reason = models.CharField(_("churn reason"), max_length=20, choices=ChurnReason.choices, blank=True)
    downgraded = models.BooleanField(_("downgraded"), default=False)
    backdated = models.BooleanField(_("backdated"), default=False)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("changed by"),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        ordering = ["client", "effective_on", "created_at", "pk"]
        verbose_name = _("client status change")
        verbose_name_plural = _("client status changes")
        indexes = [
            models.Index(fields=["client", "effective_on"], name="status_change_client_day"),
            models.Index(fields=["status", "effective_on"], name="status_change_status_day"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(churn_reason="") | Q(status="churned"),
                name="status_change_churn_reason_only_on_churn",
                violation_error_message=_("A churn reason is given only when the client churns."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.client_id}: {self.status} from {self.effective_on}"


class ContactRole(models.TextChoices):
    DECISION_MAKER = "decision_maker", _("Decision maker")
    CHAMPION = "champion", _("Champion")
    SPONSOR = "sponsor", _("Sponsor")
    # Translators: a contact who uses the product at the client (a role in the buying decision).
    USER = "user", pgettext_lazy("contact role", "User")
    BLOCKER = "blocker", _("Blocker")
    OTHER = "other", pgettext_lazy("contact role", "Other")


class Level(models.IntegerChoices):
    LOW = 1, _("Low")
    MEDIUM = 2, _("Medium")
    HIGH = 3, _("High")


class Contact(models.Model):
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="contacts", verbose_name=_("client"))
    first_name = models.CharField(_("first name"), max_length=100)
    last_name = models.CharField(_("last name"), max_length=100, blank=True)
    job_title = models.CharField(_("job title"), max_length=150, blank=True)
    email = models.EmailField(_("email"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True, validators=[validate_phone])
    # The phone's digits only (kept by the services), so a caller id in any format finds the contact.
    phone_digits = models.CharField(_("phone digits"), max_length=40, blank=True, editable=False)
    # The phone in E.164 (+49301234567), kept by the services; '' when it cannot be read (no country code and
    # no PHONE_DEFAULT_REGION). A caller id in any format is normalised the same way and matched exactly.
    phone_e164 = models.CharField(_("phone e164"), max_length=20, blank=True, editable=False, db_index=True)
    role = models.CharField(_("role"), max_length=20, choices=ContactRole.choices, default=ContactRole.USER)
    influence = models.PositiveSmallIntegerField(_("influence"), choices=Level.choices, default=Level.MEDIUM)
    relationship_strength = models.PositiveSmallIntegerField(
        _("relationship strength"), choices=Level.choices, default=Level.MEDIUM
    )
    reports_to = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="direct_reports",
        verbose_name=_("reports to"),
    )
    is_active = models.BooleanField(_("still at the client"), default=True)
    left_on = models.DateField(_("left on"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    # The language of what the contact receives and opens (a shared plan, a survey); blank: as their browser asks
    # (e-mails: settings.LANGUAGE_CODE).
    language = models.CharField(
        _("language"),
        max_length=10,
        blank=True,
        choices=settings.LANGUAGES,
        default="",
        db_default="",
        help_text=_("Shared pages and surveys speak it; blank: as the contact's browser asks."),
    )
    last_contacted_at = models.DateTimeField(_("last contacted at"), null=True, blank=True)
    version = models.PositiveIntegerField(_("version"), default=1)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-is_active", "last_name", "first_name", "pk"]
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        indexes = [
            models.Index(fields=["client", "is_active"]),
            models.Index(fields=["email"]),
            models.Index(fields=["phone_digits"]),
        ]

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def full_name(self) -> str:
        return str(self)

    def clean(self) -> None:
        if self.is_active and self.left_on:
            raise ValidationError(
                {
                    "left_on": _(
                        "A contact still at the client has no date they left: clear it or untick “still at the client”."
                    )
                }
            )


class HandoffStatus(models.TextChoices):
    PENDING = "pending", pgettext_lazy("handoff status", "Pending")
    ACCEPTED = "accepted", pgettext_lazy("handoff status", "Accepted")
    RETURNED = "returned", _("Returned to sales")


class DealKind(models.TextChoices):
    NEW = "new", _("New client")
    EXPANSION = "expansion", _("Expansion (another won deal of the same client)")


class Handoff(FieldConstraintsMixin, models.Model):
    constraint_fields = {"handoff_amount_non_negative": "deal_amount"}

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="handoffs", verbose_name=_("client"))
    kind = models.CharField(_("kind"), max_length=10, choices=DealKind.choices, default=DealKind.NEW)
    deal_external_id = models.CharField(
        _("deal external id"),
        max_length=64,
        unique=True,
        null=True,
        blank=True,
        help_text=_("Opportunity / deal id in the sales CRM."),
    )
    deal_name = models.CharField(_("deal name"), max_length=200)
    deal_amount = models.DecimalField(_("deal amount"), max_digits=14, decimal_places=2, null=True, blank=True)
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    close_date = models.DateField(_("close date"), null=True, blank=True)
    scope = models.TextField(_("scope"), blank=True, help_text=_("What was sold: products, volumes, deadlines."))
    goals = models.TextField(_("customer goals"), blank=True)
    success_criteria = models.TextField(_("success criteria"), blank=True)
    stakeholders = models.ManyToManyField(Contact, blank=True, related_name="handoffs", verbose_name=_("stakeholders"))
    stakeholder_notes = models.TextField(_("stakeholder notes"), blank=True)
    # [{"text": str, "due_date": "YYYY-MM-DD" | None}]: promises made during the sale.
    commitments = models.JSONField(_("commitments"), default=list, blank=True)
    risks = models.TextField(_("risks"), blank=True)
    description = models.TextField(
        _("description"), blank=True, help_text=_("The deal's description in the sales CRM, as sent.")
    )
    # The deal as first received (canonical values): a retry with the same deal id must match it.
    received_as = models.JSONField(_("received as"), default=dict, blank=True, editable=False)
    to_am = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="handoffs_received",
        verbose_name=_("to am"),
    )
    to_team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.PROTECT, related_name="handoffs", verbose_name=_("to team")
    )
    status = models.CharField(_("status"), max_length=10, choices=HandoffStatus.choices, default=HandoffStatus.PENDING)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.PROTECT,
        related_name="handoffs_sent",
        verbose_name=_("created by"),
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    return_reason = models.TextField(_("return reason"), blank=True)
    version = models.PositiveIntegerField(_("version"), default=1)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    history = HistoricalRecords(m2m_fields=[stakeholders])

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("handoff")
        verbose_name_plural = _("handoffs")
        indexes = [
            models.Index(fields=["status", "to_team"]),
            models.Index(fields=["status", "to_am"]),
            models.Index(fields=["created_by", "status"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(deal_amount__isnull=True) | Q(deal_amount__gte=0),
                name="handoff_amount_non_negative",
                violation_error_message=_("The deal amount cannot be negative."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.deal_name} ({self.client})"


class ImportPreview(models.Model):
    """An uploaded file between its dry run and the user's confirmation.

    Kept in the database, not in a worker's memory: with several web workers the confirmation may
    reach another process than the upload did. Rows expire; expired ones are removed on the next save.
    """

    token = models.CharField(_("token"), max_length=32, unique=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("user")
    )
    data = models.BinaryField(_("data"))
    to_team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.CASCADE, related_name="+", verbose_name=_("to team")
    )
    to_am = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("to am"),
    )
    date_order = models.CharField(_("date order"), max_length=3, blank=True)
    expires_at = models.DateTimeField(_("expires at"), db_index=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("import preview")
        verbose_name_plural = _("import previews")

    def __str__(self) -> str:
        return f"Import preview {self.token} ({self.user_id})"


class ListScope(models.TextChoices):
    MINE = "mine", _("My clients")
    TEAM = "team", _("Team clients")


class SavedClientView(FieldConstraintsMixin, models.Model):
    """A client list with its filters, sorting and columns, saved under a name by one user; pinned ones are shown
    beside the list (and in the menu) as one-click links."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_client_views", verbose_name=_("user")
    )
    name = models.CharField(_("name"), max_length=80)
    scope = models.CharField(_("list"), max_length=8, choices=ListScope.choices, default=ListScope.MINE)
    query = models.CharField(
        _("filters and columns"),
        max_length=2000,
        blank=True,
        help_text=_("The list's query string, without the page."),
    )
    pinned = models.BooleanField(_("pinned"), default=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    history = HistoricalRecords()
    constraint_fields = {"saved_view_name_unique_per_user": "name"}

    class Meta:
        ordering = ["-pinned", "name", "pk"]
        verbose_name = _("saved client view")
        verbose_name_plural = _("saved client views")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "name"],
                name="saved_view_name_unique_per_user",
                violation_error_message=_("You already have a view with this name."),
            )
        ]

    def __str__(self) -> str:
        return self.name
