"""Every write of the surveys: send a survey to chosen contacts (by hand or on a client's schedule), remind those
who have not answered, close it, and the contact's answer, which becomes a KPI value (``nps``, ``csat``) through
the KPI app's ingestion path and a line on the client's timeline."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from clients.models import Client, Contact
from clients.permissions import client_can_edit
from contracts.services import add_months
from core.dates import Quarter, local_day
from core.errors import ApplicationError, NotAllowedError
from core.public_pages import speaking
from core.tokens import token_lookup_digest, token_new
from kpis.models import Aggregation, Metric
from kpis.services import metric_values_record
from notifications.kinds import Kind
from notifications.services import NotificationDraft, notifications_send, outbox_enqueue
from surveys import scoring
from surveys.models import SCORE_RANGE, Survey, SurveyAnswer, SurveyInvitation, SurveyKind, SurveySchedule
from users.models import User

COMMENT_MAX = 2000
MIN_OPEN_DAYS, MAX_OPEN_DAYS = 1, 90
REMINDER_GAP = dt.timedelta(hours=24)  # a reminder by hand skips contacts reminded less than a day ago

# The KPIs the answers become (created by migration surveys 0002; this is the safety net).
METRICS = {
    SurveyKind.NPS: {
        "name": "NPS", "unit": "points", "higher_is_better": True, "aggregation": Aggregation.MEAN,
        "description": "Net promoter score from surveys (-100 to 100).", "min_value": -100, "max_value": 100,
        "frequency": "monthly",
    },
    SurveyKind.CSAT: {
        "name": "CSAT", "unit": "/5", "higher_is_better": True, "aggregation": Aggregation.MEAN,
        "description": "Customer satisfaction from surveys: the mean answer (1-5).", "min_value": 1, "max_value": 5,
        "frequency": "monthly",
    },
}  # fmt: skip


def survey_metric(kind: str) -> Metric:
    metric, _created = Metric.objects.get_or_create(key=kind, defaults=METRICS[kind])
    return metric


def _question(kind: str, client_company: str) -> str:
    if kind == SurveyKind.NPS:
        return _("How likely are you to recommend %(company)s to a friend or colleague?") % {"company": client_company}
    return _("How satisfied are you with %(company)s?") % {"company": client_company}


def survey_question(kind: str) -> str:
    """The question, in the active language (the company's name from settings.COMPANY_NAME)."""
    return _question(kind, company_name())


def company_name() -> str:
    return _("Account CRM")


def _answer_url(token: str) -> str:
    return settings.SITE_URL + reverse("surveys:answer", args=[token])


def _send(invitation: SurveyInvitation, *, token: str, reminder: int = 0) -> None:
    """The invitation e-mail (or reminder number ``reminder``) in the contact's language, through the outbox."""
    survey, contact = invitation.survey, invitation.contact
    url = _answer_url(token)
    low, high = SCORE_RANGE[survey.kind]
    with speaking(contact.language, default=settings.LANGUAGE_CODE):
        question = survey_question(survey.kind)
        choices = [(score, f"{url}?score={score}") for score in range(low, high + 1)]
        context = {
            "contact": contact, "question": question, "choices": choices, "url": url, "reminder": reminder,
            "closes_on": local_day(survey.closes_at), "kind": survey.kind, "company": company_name(),
            "owner": survey.client.owner,
        }  # fmt: skip
        subject = _("Reminder: %(question)s") % {"question": question} if reminder else question
        outbox_enqueue(
            key=f"survey-{invitation.pk}-{reminder}",
            recipient=invitation.email,
            subject=subject,
            body=render_to_string("surveys/email.txt", context),
            html=render_to_string("surveys/email.html", context),
        )


def _check_contacts(client: Client, contacts: list[Contact]) -> None:
    if not contacts:
        raise ApplicationError(_("Choose at least one contact to ask."), field="contacts")
    for contact in contacts:
        if contact.client_id != client.pk:
            raise ApplicationError(_("Choose contacts of this client."), field="contacts")
        if not contact.email:
            raise ApplicationError(
                _("%(name)s has no e-mail address: the survey could not reach them.") % {"name": contact},
                field="contacts",
            )
        if not contact.is_active:
            raise ApplicationError(_("%(name)s has left the client.") % {"name": contact}, field="contacts")


@dataclass(frozen=True)
class SentSurvey:
    survey: Survey
    tokens: dict[int, str]  # contact id -> token (sent by e-mail; shown to nobody)


@transaction.atomic
def survey_send(
    *,
    client: Client,
    kind: str,
    contacts: Iterable[Contact],
    by: User | None,
    open_days: int = 21,
    now: dt.datetime | None = None,
    schedule: SurveySchedule | None = None,
    scheduled_for: dt.date | None = None,
) -> SentSurvey:
    """Ask each chosen contact (by e-mail, a link of their own) and keep the survey open ``open_days`` days.
    ``by`` None: sent by the client's schedule."""
    if by is not None and not client_can_edit(user=by, client=client):
        raise NotAllowedError(_("You can view this client but not survey its contacts."))
    if client.archived_at is not None:
        raise ApplicationError(_("This client is archived."))
    if kind not in SurveyKind.values:
        raise ApplicationError(_("Choose NPS or CSAT."), field="kind")
    try:
        open_days = int(open_days)
    except (TypeError, ValueError):
        open_days = 0
    if not MIN_OPEN_DAYS <= open_days <= MAX_OPEN_DAYS:
        raise ApplicationError(
            _("A survey stays open between %(low)s and %(high)s days.") % {"low": MIN_OPEN_DAYS, "high": MAX_OPEN_DAYS},
            field="open_days",
        )
    contacts = list(dict.fromkeys(contacts))
    _check_contacts(client, contacts)
    now = now or timezone.now()
    survey = Survey.objects.create(
        client=client, kind=kind, schedule=schedule, scheduled_for=scheduled_for if schedule else None,
        created_by=by or (schedule.created_by if schedule else None), sent_at=now,
        closes_at=now + dt.timedelta(days=open_days),
    )  # fmt: skip
    tokens = {}
    for contact in contacts:
        token, digest = token_new()
        invitation = SurveyInvitation.objects.create(
            survey=survey, contact=contact, email=contact.email, token_hash=digest, sent_at=now
        )
        _send(invitation, token=token)
        tokens[contact.pk] = token
    return SentSurvey(survey, tokens)


@transaction.atomic
def survey_remind(
    *, survey: Survey, by: User | None = None, now: dt.datetime | None = None, automatic: bool = False
) -> int:
    """Remind the contacts who have not answered an open survey (a new link each; the one before keeps working).
    By hand: everyone not reminded in the last 24 hours, up to SURVEY_MAX_REMINDERS each; automatic (the daily
    task): those never reminded. Returns how many reminders were sent."""
    if by is not None and not client_can_edit(user=by, client=survey.client):
        raise NotAllowedError(_("You can view this client but not survey its contacts."))
    now = now or timezone.now()
    survey = Survey.objects.select_for_update(of=("self",)).select_related("client__owner").get(pk=survey.pk)
    if not survey.is_open_at(now):
        raise ApplicationError(_("This survey is closed: nobody can answer it any more."))
    pending = survey.invitations.select_related("contact").filter(
        answered_at__isnull=True, contact__is_active=True, reminders_sent__lt=settings.SURVEY_MAX_REMINDERS
    )
    if automatic:
        pending = pending.filter(reminders_sent=0)
    sent = 0
    for invitation in pending:
        last = invitation.reminded_at or invitation.sent_at
        if not automatic and now - last < REMINDER_GAP:
            continue
        # A fresh token: the first one exists only as its hash, so the reminder cannot repeat it. The link of the
        # e-mail before keeps working (its hash moves to earlier_token_hash); older ones stop.
        token, digest = token_new()
        invitation.earlier_token_hash, invitation.token_hash = invitation.token_hash, digest
        invitation.reminders_sent += 1
        invitation.reminded_at = now
        invitation.save(update_fields=["token_hash", "earlier_token_hash", "reminders_sent", "reminded_at"])
        _send(invitation, token=token, reminder=invitation.reminders_sent)
        sent += 1
    return sent


@transaction.atomic
def survey_close(*, survey: Survey, by: User, now: dt.datetime | None = None) -> Survey:
    if not client_can_edit(user=by, client=survey.client):
        raise NotAllowedError(_("You can view this client but not change its surveys."))
    survey = Survey.objects.select_for_update(of=("self",)).get(pk=survey.pk)
    if survey.closed_at is None:
        survey.closed_at = now or timezone.now()
        survey.save(update_fields=["closed_at"])
    return survey


# --- the contact's answer -------------------------------------------------------------------------------------------


class InvitationState:
    VALID, UNKNOWN, CLOSED, ANSWERED = "valid", "unknown", "closed", "answered"


def survey_invitation_find(*, token: str, now: dt.datetime | None = None) -> tuple[str, SurveyInvitation | None]:
    """The invitation a token opens and whether it may still be answered. Unknown tokens and surveys of archived
    clients are "unknown": the page does not tell an outsider which tokens once existed."""
    digest = token_lookup_digest(token)
    if digest is None:
        return InvitationState.UNKNOWN, None
    invitation = (
        SurveyInvitation.objects.select_related("survey__client__owner", "contact")
        .filter(Q(token_hash=digest) | Q(earlier_token_hash=digest), survey__client__archived_at__isnull=True)
        .first()
    )
    if invitation is None:
        return InvitationState.UNKNOWN, None
    if invitation.answered_at is not None:
        return InvitationState.ANSWERED, invitation
    if not invitation.survey.is_open_at(now or timezone.now()) or not invitation.contact.is_active:
        return InvitationState.CLOSED, invitation
    return InvitationState.VALID, invitation


class AlreadyAnswered(ApplicationError):
    """This contact has answered this survey: one answer per contact and survey."""


class SurveyClosed(ApplicationError):
    """The survey no longer takes answers."""


def _score(kind: str, value: object) -> int:
    low, high = SCORE_RANGE[kind]
    try:
        score = int(str(value).strip())
    except (TypeError, ValueError):
        score = None
    if score is None or not low <= score <= high:
        raise ApplicationError(
            _("Choose a score from %(low)s to %(high)s.") % {"low": low, "high": high}, field="score"
        )
    return score


@transaction.atomic
def survey_answer(
    *, invitation: SurveyInvitation, score: object, comment: str = "", now: dt.datetime | None = None
) -> SurveyAnswer:
    """Record the contact's answer (once), turn the period's answers into the client's KPI value and tell the owner
    of a detractor."""
    now = now or timezone.now()
    invitation = (
        SurveyInvitation.objects.select_for_update(of=("self",))
        .select_related("survey__client__owner", "contact")
        .get(pk=invitation.pk)
    )
    survey = invitation.survey
    if invitation.answered_at is not None:
        raise AlreadyAnswered(_("You have already answered this survey. Thank you!"))
    if not survey.is_open_at(now) or not invitation.contact.is_active:
        raise SurveyClosed(_("This survey is closed."))
    value = _score(survey.kind, score)
    comment = (comment or "").strip()
    if len(comment) > COMMENT_MAX:
        raise ApplicationError(_("Keep it under %(limit)s characters.") % {"limit": COMMENT_MAX}, field="comment")
    try:
        with transaction.atomic():
            answer = SurveyAnswer.objects.create(
                survey=survey, contact=invitation.contact, invitation=invitation, client_id=survey.client_id,
                kind=survey.kind, score=value, comment=comment, answered_at=now, answered_on=local_day(now),
            )  # fmt: skip
    except IntegrityError as exc:  # the constraint: another request answered first
        raise AlreadyAnswered(_("You have already answered this survey. Thank you!")) from exc
    invitation.answered_at = now
    invitation.save(update_fields=["answered_at"])
    survey_kpis_record(client_id=survey.client_id, kind=survey.kind, from_day=answer.answered_on)
    if survey.kind == SurveyKind.NPS and value <= scoring.DETRACTOR_UP_TO:
        _tell_the_owner(survey, answer)
    return answer


def survey_kpis_record(*, client_id: int, kind: str, from_day: dt.date) -> int:
    """The client's KPI value of ``kind`` on each day of ``from_day``'s quarter that has answers, from that day on:
    the NPS (promoters % − detractors %) or CSAT (mean) over the quarter's answers received up to that day. Written
    through the KPI ingestion path (kpis.services.metric_values_record), so health re-scores and the rules read it.
    A quarter without answers has no value (never a 0). Returns the rows written."""
    metric = survey_metric(kind)
    quarter = Quarter.containing(from_day)
    answers = list(
        SurveyAnswer.objects.filter(
            client_id=client_id, kind=kind, answered_on__gte=quarter.start, answered_on__lte=quarter.end
        )
        .order_by("answered_on")
        .values_list("answered_on", "score")
    )
    figure = scoring.nps if kind == SurveyKind.NPS else scoring.csat
    rows = []
    for day in sorted({d for d, _score in answers if d >= from_day}):
        value = figure([s for d, s in answers if d <= day])
        if value is not None:
            rows.append({"client": client_id, "metric": metric.key, "date": day.isoformat(), "value": value})
    if not rows:
        return 0
    result = metric_values_record(rows=rows)
    if not result.ok:  # cannot happen with scores checked above; never leave half an answer behind
        raise ApplicationError(_("The answer could not be recorded as a KPI value."))
    return result.written


def _tell_the_owner(survey: Survey, answer: SurveyAnswer) -> None:
    owner = survey.client.owner
    if owner is None or not owner.is_active:
        return
    params = {
        "contact": str(answer.contact), "client": survey.client.name, "score": answer.score,
        "comment": answer.comment[:120],
    }  # fmt: skip
    if not answer.comment:
        params["variant"] = "no_reason"
    draft = NotificationDraft(
        user_id=owner.pk,
        kind=Kind.DETRACTOR_ANSWERED,
        params=params,
        url=reverse("surveys:client", args=[survey.client_id]),
    )
    notifications_send(drafts=[draft], key=f"survey_answer:{answer.pk}")


# --- schedules ------------------------------------------------------------------------------------------------------


@transaction.atomic
def survey_schedule_save(
    *,
    client: Client,
    kind: str,
    contacts: Iterable[Contact],
    every_months: int,
    next_on: dt.date,
    by: User,
    is_active: bool = True,
    today: dt.date | None = None,
) -> SurveySchedule:
    """Survey these contacts of the client every ``every_months`` months from ``next_on`` (one schedule per kind)."""
    if not client_can_edit(user=by, client=client):
        raise NotAllowedError(_("You can view this client but not survey its contacts."))
    if kind not in SurveyKind.values:
        raise ApplicationError(_("Choose NPS or CSAT."), field="kind")
    if int(every_months) not in {1, 3, 6, 12}:
        raise ApplicationError(_("Every month, quarter, half year or year."), field="every_months")
    today = today or timezone.localdate()
    if next_on < today:
        raise ApplicationError(_("The next survey cannot be in the past."), field="next_on")
    contacts = list(dict.fromkeys(contacts))
    _check_contacts(client, contacts)
    schedule, _created = SurveySchedule.objects.update_or_create(
        client=client,
        kind=kind,
        defaults={"every_months": int(every_months), "next_on": next_on, "is_active": is_active, "created_by": by},
    )
    schedule.contacts.set(contacts)
    return schedule


@transaction.atomic
def survey_schedule_stop(*, schedule: SurveySchedule, by: User) -> SurveySchedule:
    """No more surveys from this schedule (it stays, paused; saving it again starts it again). Idempotent."""
    if not client_can_edit(user=by, client=schedule.client):
        raise NotAllowedError(_("You can view this client but not change its surveys."))
    SurveySchedule.objects.filter(pk=schedule.pk).update(is_active=False)
    schedule.is_active = False
    return schedule


@transaction.atomic
def survey_schedule_run(*, schedule_id: int, today: dt.date, now: dt.datetime | None = None) -> Survey | None:
    """Send the scheduled survey due on or before ``today`` and move the schedule on. Idempotent: a schedule day
    sends one survey however often this runs (a unique constraint on the schedule and its day)."""
    schedule = (
        SurveySchedule.objects.select_for_update(of=("self",))
        .select_related("client", "created_by")
        .filter(pk=schedule_id)
        .first()
    )
    if schedule is None or not schedule.is_active or schedule.next_on > today:
        return None
    due_on = schedule.next_on
    while schedule.next_on <= today:  # a schedule that missed days sends once, then looks ahead
        schedule.next_on = add_months(schedule.next_on, schedule.every_months)
    contacts = [c for c in schedule.contacts.all() if c.is_active and c.email and c.client_id == schedule.client_id]
    survey = None
    if contacts and schedule.client.archived_at is None and not schedule.surveys.filter(scheduled_for=due_on).exists():
        survey = survey_send(
            client=schedule.client, kind=schedule.kind, contacts=contacts, by=None, schedule=schedule,
            scheduled_for=due_on, open_days=settings.SURVEY_OPEN_DAYS, now=now,
        ).survey  # fmt: skip
    schedule.save(update_fields=["next_on"])
    return survey
