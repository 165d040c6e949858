"""NPS and CSAT surveys a client's contacts answer from a link in an e-mail (no login), and their answers."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from clients.models import Client, Contact


class SurveyKind(models.TextChoices):
    NPS = "nps", _("NPS (0–10, would you recommend us)")
    CSAT = "csat", _("CSAT (1–5, how satisfied)")


SCORE_RANGE = {SurveyKind.NPS: (0, 10), SurveyKind.CSAT: (1, 5)}


class SurveySchedule(models.Model):
    """Send a survey of one kind to chosen contacts of a client every N months, from ``next_on``."""

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="survey_schedules")
    kind = models.CharField(_("kind"), max_length=4, choices=SurveyKind.choices)
    contacts = models.ManyToManyField(Contact, related_name="+", verbose_name=_("contacts"))
    every_months = models.PositiveSmallIntegerField(
        _("every"), choices=[(1, _("month")), (3, _("quarter")), (6, _("half year")), (12, _("year"))], default=3
    )
    next_on = models.DateField(_("next survey on"))
    is_active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("survey schedule")
        verbose_name_plural = _("survey schedules")
        constraints = [models.UniqueConstraint(fields=["client", "kind"], name="survey_schedule_one_per_kind")]
        indexes = [models.Index(fields=["is_active", "next_on"], name="survey_schedule_due")]

    def __str__(self) -> str:
        return f"{self.client}: {self.get_kind_display()} every {self.every_months} months"


class Survey(models.Model):
    """One round of one kind sent to chosen contacts of one client, open until ``closes_at`` (or closed by hand)."""

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="surveys")
    kind = models.CharField(_("kind"), max_length=4, choices=SurveyKind.choices)
    schedule = models.ForeignKey(
        SurveySchedule, null=True, blank=True, on_delete=models.SET_NULL, related_name="surveys"
    )
    scheduled_for = models.DateField(null=True, blank=True)  # the schedule's day this round is (idempotency)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    sent_at = models.DateTimeField(_("sent"))
    closes_at = models.DateTimeField(_("closes"))
    closed_at = models.DateTimeField(_("closed by hand"), null=True, blank=True)

    class Meta:
        verbose_name = _("survey")
        verbose_name_plural = _("surveys")
        ordering = ["-sent_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["schedule", "scheduled_for"],
                condition=Q(schedule__isnull=False),
                name="survey_one_per_schedule_day",
            ),
        ]
        indexes = [models.Index(fields=["client", "-sent_at"], name="survey_client_sent")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} – {self.client} ({self.sent_at:%Y-%m-%d})"

    def is_open_at(self, moment) -> bool:
        return self.closed_at is None and self.closes_at > moment


class SurveyInvitation(models.Model):
    """One contact's link to one survey: a random token (only its hash is kept), sent to the contact's address."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="invitations")
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="survey_invitations")
    email = models.EmailField(_("sent to"))
    token_hash = models.CharField(max_length=64, unique=True)
    earlier_token_hash = models.CharField(max_length=64, blank=True, db_index=True)  # the link of the e-mail before
    sent_at = models.DateTimeField(_("sent"))
    reminders_sent = models.PositiveSmallIntegerField(_("reminders sent"), default=0)
    reminded_at = models.DateTimeField(_("last reminder"), null=True, blank=True)
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)

    class Meta:
        verbose_name = _("survey invitation")
        verbose_name_plural = _("survey invitations")
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["survey", "contact"], name="survey_one_invitation_per_contact"),
        ]

    def __str__(self) -> str:
        return f"{self.survey} → {self.email}"


class SurveyAnswer(models.Model):
    """A contact's answer: a score (NPS 0–10, CSAT 1–5) and an optional reason. One per contact and survey."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="answers")
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="survey_answers")
    invitation = models.OneToOneField(SurveyInvitation, on_delete=models.CASCADE, related_name="answer")
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="survey_answers")  # = survey.client
    kind = models.CharField(_("kind"), max_length=4, choices=SurveyKind.choices)  # = survey.kind
    score = models.PositiveSmallIntegerField(_("score"))
    comment = models.TextField(_("reason"), blank=True)
    answered_at = models.DateTimeField(_("answered"))
    answered_on = models.DateField(_("answered on"))  # the company's day of answered_at (KPI date, rules)

    class Meta:
        verbose_name = _("survey answer")
        verbose_name_plural = _("survey answers")
        ordering = ["-answered_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["survey", "contact"], name="survey_one_answer_per_contact"),
            models.CheckConstraint(
                condition=(Q(kind="nps") & Q(score__gte=0) & Q(score__lte=10))
                | (Q(kind="csat") & Q(score__gte=1) & Q(score__lte=5)),
                name="survey_answer_score_in_range",
            ),
        ]
        indexes = [models.Index(fields=["client", "kind", "answered_on"], name="survey_answer_client_day")]

    def __str__(self) -> str:
        return f"{self.contact}: {self.score} ({self.get_kind_display()})"
