from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from clients.models import Client, Contact
from core.dates import Quarter
from interactions.models import FollowUp


class ReviewStatus(models.TextChoices):
    PLANNED = "planned", pgettext_lazy("review status", "Planned")
    PREPARED = "prepared", pgettext_lazy("review status", "Prepared")
    HELD = "held", pgettext_lazy("review status", "Held")
    CLOSED = "closed", pgettext_lazy("review status", "Closed")


# Statuses after the meeting took place: they count for ``Client.last_review_on``.
HELD_STATUSES = (ReviewStatus.HELD, ReviewStatus.CLOSED)


class AccountReview(models.Model):
    """The quarterly account review of one client; (year, quarter) is the quarter it covers."""

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="reviews", verbose_name=_("client"))
    year = models.PositiveSmallIntegerField(_("year"))
    quarter = models.PositiveSmallIntegerField(_("quarter"))
    status = models.CharField(_("status"), max_length=10, choices=ReviewStatus.choices, default=ReviewStatus.PLANNED)
    planned_on = models.DateField(_("planned date"))
    # iTIP: each invitation sent for this review carries a higher SEQUENCE (capture.calendar.invitation_ics).
    invitation_sequence = models.PositiveIntegerField(default=0, editable=False)
    agenda = models.TextField(_("agenda"), blank=True)
    contacts = models.ManyToManyField(
        Contact, blank=True, related_name="account_reviews", verbose_name=_("attendees from the client")
    )
    colleagues = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="account_reviews", verbose_name=_("colleagues attending")
    )
    # Frozen by "prepare": KPIs, health, interactions, commitments and flags of the quarter.
    snapshot = models.JSONField(default=dict, blank=True)
    prepared_at = models.DateTimeField(null=True, blank=True)
    prepared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    held_on = models.DateField(_("held on"), null=True, blank=True)
    wins = models.TextField(_("wins"), blank=True)
    issues = models.TextField(_("issues"), blank=True)
    satisfaction = models.PositiveSmallIntegerField(
        _("satisfaction"),
        null=True,
        blank=True,
        help_text=_("The client's satisfaction, 1 (very unhappy) to 10 (delighted)."),
    )
    goals_progress = models.TextField(_("progress on goals"), blank=True)
    next_quarter_plan = models.TextField(_("plan for next quarter"), blank=True)
    # The account plan's history row as it stood when the review was prepared / held.
    plan_history_id = models.PositiveBigIntegerField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords(m2m_fields=[contacts, colleagues], excluded_fields=["updated_at"])

    class Meta:
        verbose_name = _("account review")
        verbose_name_plural = _("account reviews")
        ordering = ["-year", "-quarter", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["client", "year", "quarter"], name="review_one_per_client_quarter"),
            models.CheckConstraint(condition=Q(quarter__gte=1) & Q(quarter__lte=4), name="review_quarter_1_to_4"),
            models.CheckConstraint(
                condition=Q(satisfaction__isnull=True) | (Q(satisfaction__gte=1) & Q(satisfaction__lte=10)),
                name="review_satisfaction_1_to_10",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=HELD_STATUSES) | Q(held_on__isnull=False), name="review_held_has_date"
            ),
        ]
        indexes = [models.Index(fields=["year", "quarter", "status"], name="review_quarter_status")]

    def __str__(self) -> str:
        return gettext("%(client)s · %(quarter)s review") % {"client": self.client, "quarter": self.period.label}

    @property
    def period(self) -> Quarter:
        return Quarter(self.year, self.quarter)

    @property
    def label(self) -> str:
        return self.period.label

    @property
    def is_held(self) -> bool:
        return self.status in HELD_STATUSES


class ReviewActionItem(models.Model):
    """Something agreed in the review; it becomes a follow-up (a commitment when promised to the client)."""

    review = models.ForeignKey(
        AccountReview, on_delete=models.CASCADE, related_name="action_items", verbose_name=_("review")
    )
    title = models.CharField(_("what"), max_length=300)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="review_action_items",
        verbose_name=_("owner"),
    )
    due_date = models.DateField(_("due date"), null=True, blank=True)
    is_commitment = models.BooleanField(_("promised to the client"), default=False)
    promised_date = models.DateField(_("promised date"), null=True, blank=True)
    followup = models.OneToOneField(
        FollowUp, null=True, blank=True, on_delete=models.SET_NULL, related_name="review_action_item"
    )
    position = models.PositiveSmallIntegerField(default=0)
    # The shared plan page (sharing/): shown to the client's contacts; ``contact`` does it on the client's side
    # and may tick it done there.
    shared_with_client = models.BooleanField(_("shared with the client"), default=False)
    contact = models.ForeignKey(
        Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="review_action_items",
        verbose_name=_("done by (client side)"),
    )  # fmt: skip
    done_by_contact_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("action item")
        verbose_name_plural = _("action items")
        ordering = ["position", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(promised_date__isnull=True) | Q(is_commitment=True),
                name="review_item_promised_only_for_commitments",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_assigned(self) -> bool:
        return self.followup_id is not None


class AccountPlan(models.Model):
    """The one current plan of a client; every save is kept in its history."""

    client = models.OneToOneField(
        Client, on_delete=models.PROTECT, related_name="account_plan", verbose_name=_("client")
    )
    hypothesis = models.TextField(
        _("business goal (hypothesis)"),
        blank=True,
        help_text=_("We believe that [change] will [result for the client]; we will know it when [measure]."),
    )
    revenue_target = models.DecimalField(
        _("revenue target"),
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("Annual revenue we aim for with this client."),
    )
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    # Validated lists (reviews.plan_items): [{"objective", "target", "status"}], …
    objectives = models.JSONField(_("objectives"), default=list, blank=True)
    opportunities = models.JSONField(_("growth opportunities"), default=list, blank=True)
    stakeholders = models.JSONField(_("stakeholder strategy"), default=list, blank=True)
    risks = models.JSONField(_("risks and mitigations"), default=list, blank=True)
    last_revisited_on = models.DateField(_("last revisited on"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        verbose_name = _("account plan")
        verbose_name_plural = _("account plans")
        constraints = [
            models.CheckConstraint(
                condition=Q(revenue_target__isnull=True) | Q(revenue_target__gte=0), name="plan_target_non_negative"
            ),
        ]

    def __str__(self) -> str:
        return gettext("Account plan of %(client)s") % {"client": self.client}
