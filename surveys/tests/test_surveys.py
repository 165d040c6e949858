"""Surveys end to end: sending, the answer page and every refusal it gives, the one-answer constraint, answers as
KPI values through ingestion, the timeline, reminders, schedules, access per object and the API."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.db import IntegrityError, transaction
from django.test import Client as Browser
from django.urls import reverse
from django.utils import translation

from clients.models import Contact
from clients.timeline import timeline_page
from core.errors import ApplicationError, NotAllowedError
from health.models import RescoreDue
from kpis.models import Metric, MetricValue
from notifications.models import Notification, OutboxMessage
from surveys import selectors, services, tasks
from surveys.models import Survey, SurveyAnswer, SurveyInvitation, SurveyKind, SurveySchedule
from surveys.tests.conftest import NOW
from tests.factories import ContactFactory

pytestmark = pytest.mark.django_db


def _send(client, contacts, by, kind=SurveyKind.NPS, open_days=21):
    return services.survey_send(client=client, kind=kind, contacts=contacts, by=by, open_days=open_days)


def _url(token: str) -> str:
    return reverse("surveys:answer", args=[token])


def _kpi(client, key: str) -> dict[dt.date, float]:
    return dict(MetricValue.objects.filter(client=client, metric__key=key).values_list("date", "value"))


# --- sending ---------------------------------------------------------------------------------------------------------


@time_machine.travel(NOW, tick=False)
def test_sending_mails_each_contact_a_link_of_their_own_with_one_click_scores(acme, am_alice):
    sent = _send(acme, [acme.dora, acme.ivan], am_alice)
    mails = {m.recipient: m for m in OutboxMessage.objects.filter(key__startswith="survey-")}
    assert set(mails) == {"dora@acme.example", "ivan@acme.example"}
    dora = mails["dora@acme.example"]
    assert sent.tokens[acme.dora.pk] in dora.body and sent.tokens[acme.ivan.pk] not in dora.body
    assert f"{_url(sent.tokens[acme.dora.pk])}?score=10" in dora.html and "?score=0" in dora.html
    assert "recommend" in dora.subject
    # Only the hash is stored.
    invitation = SurveyInvitation.objects.get(contact=acme.dora)
    assert invitation.token_hash != sent.tokens[acme.dora.pk] and len(invitation.token_hash) == 64


@time_machine.travel(NOW, tick=False)
def test_sending_is_refused_clearly(acme, globex, am_alice, am_bob):
    with pytest.raises(NotAllowedError):
        _send(acme, [acme.dora], am_bob)  # a teammate sees the client but does not own it
    with pytest.raises(ApplicationError) as refused:
        _send(acme, [globex.gina], am_alice)
    assert refused.value.field == "contacts"
    silent = ContactFactory(client=acme, first_name="Nomail", email="")
    with pytest.raises(ApplicationError, match="no e-mail"):
        _send(acme, [silent], am_alice)
    with pytest.raises(ApplicationError) as refused:
        _send(acme, [acme.dora], am_alice, open_days=0)
    assert refused.value.field == "open_days"
    with pytest.raises(ApplicationError) as refused:
        _send(acme, [], am_alice)
    assert Survey.objects.count() == 0 and not OutboxMessage.objects.filter(key__startswith="survey-").exists()


# --- the answer page: answering --------------------------------------------------------------------------------------


@time_machine.travel(NOW, tick=False)
def test_one_click_opens_the_page_with_the_score_chosen_and_sending_records_it(acme, am_alice):
    sent = _send(acme, [acme.dora], am_alice)
    browser = Browser()
    url = _url(sent.tokens[acme.dora.pk])
    page = browser.get(url + "?score=9")
    assert page.status_code == 200
    assert re.search(r'value="9" checked', page.content.decode())
    assert page["X-Robots-Tag"] == "noindex, nofollow" and "no-store" in page["Cache-Control"]
    assert not SurveyAnswer.objects.exists()  # a GET (a mail scanner's prefetch, say) never answers
    done = browser.post(url, {"score": "9", "comment": "Fast and friendly support"})
    assert done.status_code == 302
    answer = SurveyAnswer.objects.get()
    assert (answer.contact, answer.client, answer.score, answer.comment) == (
        acme.dora,
        acme,
        9,
        "Fast and friendly support",
    )
    thanks = browser.get(url)
    assert thanks.status_code == 200 and "Thank you" in thanks.content.decode()


@time_machine.travel(NOW, tick=False)
def test_a_bad_score_is_refused_on_the_field_and_nothing_is_written(acme, am_alice):
    sent = _send(acme, [acme.dora], am_alice)
    browser = Browser()
    for bad in ("11", "-1", "ten", ""):
        page = browser.post(_url(sent.tokens[acme.dora.pk]), {"score": bad})
        assert page.status_code == 400
        assert page.context["form"].errors["score"]
    with pytest.raises(ApplicationError) as refused:
        services.survey_answer(invitation=SurveyInvitation.objects.get(), score=11)
    assert refused.value.field == "score"
    assert not SurveyAnswer.objects.exists() and not MetricValue.objects.exists()


# --- the answer page: every refusal ---------------------------------------------------------------------------------


@time_machine.travel(NOW, tick=False)
def test_a_wrong_token_is_404_without_saying_whether_it_existed(acme, am_alice):
    _send(acme, [acme.dora], am_alice)
    browser = Browser()
    for token in ("nope", "x" * 43, "y" * 200):
        page = browser.get(_url(token))
        assert page.status_code == 404
        assert page["X-Robots-Tag"] == "noindex, nofollow"
    assert browser.post(_url("nope"), {"score": "3"}).status_code == 404
    assert not SurveyAnswer.objects.exists()


@time_machine.travel(NOW, tick=False)
def test_an_expired_or_closed_survey_is_410_and_takes_no_answer(acme, am_alice):
    expiring = _send(acme, [acme.dora], am_alice, open_days=7)
    closing = _send(acme, [acme.ivan], am_alice)
    services.survey_close(survey=closing.survey, by=am_alice)
    browser = Browser()
    closed = browser.post(_url(closing.tokens[acme.ivan.pk]), {"score": "10"})
    assert closed.status_code == 410 and "closed" in closed.content.decode()
    with time_machine.travel(NOW + dt.timedelta(days=7, seconds=1), tick=False):
        late = browser.post(_url(expiring.tokens[acme.dora.pk]), {"score": "10"})
        assert late.status_code == 410
        with pytest.raises(services.SurveyClosed):
            services.survey_answer(invitation=SurveyInvitation.objects.get(contact=acme.dora), score=10)
    assert not SurveyAnswer.objects.exists()


@time_machine.travel(NOW, tick=False)
def test_a_contact_who_left_or_an_archived_client_is_refused(acme, am_alice):
    sent = _send(acme, [acme.dora, acme.ivan], am_alice)
    Contact.objects.filter(pk=acme.ivan.pk).update(is_active=False, left_on=NOW.date())
    browser = Browser()
    assert browser.get(_url(sent.tokens[acme.ivan.pk])).status_code == 410
    acme.archived_at = NOW
    acme.save(update_fields=["archived_at"])
    assert browser.get(_url(sent.tokens[acme.dora.pk])).status_code == 404
    assert not SurveyAnswer.objects.exists()


@time_machine.travel(NOW, tick=False)
def test_a_second_answer_is_refused_and_the_first_stays(acme, am_alice):
    sent = _send(acme, [acme.dora], am_alice)
    browser = Browser()
    url = _url(sent.tokens[acme.dora.pk])
    assert browser.post(url, {"score": "3", "comment": "Slow"}).status_code == 302
    again = Browser().post(url, {"score": "10", "comment": "Changed my mind"})
    assert again.status_code == 409
    assert "once" in again.content.decode()
    with pytest.raises(services.AlreadyAnswered):
        services.survey_answer(invitation=SurveyInvitation.objects.get(), score=10)
    answer = SurveyAnswer.objects.get()
    assert (answer.score, answer.comment) == (3, "Slow")


@time_machine.travel(NOW, tick=False)
def test_another_clients_token_answers_only_for_that_clients_contact(acme, globex, am_alice, am_oscar):
    ours = _send(acme, [acme.dora], am_alice)
    theirs = _send(globex, [globex.gina], am_oscar)
    browser = Browser()
    browser.get(_url(ours.tokens[acme.dora.pk]))
    # Gina's token, whatever else the form carries, answers Gina's survey of Globex and nothing of ACME.
    response = browser.post(
        _url(theirs.tokens[globex.gina.pk]),
        {"score": "2", "contact": acme.dora.pk, "survey": ours.survey.pk, "invitation": "1"},
    )
    assert response.status_code == 302
    answer = SurveyAnswer.objects.get()
    assert (answer.client, answer.contact, answer.survey) == (globex, globex.gina, theirs.survey)
    assert not SurveyAnswer.objects.filter(client=acme).exists()
    assert browser.get(_url(ours.tokens[acme.dora.pk])).status_code == 200  # Dora's link still waits for her


@time_machine.travel(NOW, tick=False)
def test_too_many_requests_from_one_address_is_429(acme, am_alice, settings):
    settings.SHARING_REQUESTS_PER_MINUTE = 3
    browser = Browser()
    codes = [browser.get(_url("nope")).status_code for _ in range(4)]
    assert codes == [404, 404, 404, 429]


# --- the database constraint -----------------------------------------------------------------------------------------


@time_machine.travel(NOW, tick=False)
def test_the_database_allows_one_answer_per_contact_and_survey_and_scores_in_range(acme, am_alice):
    sent = _send(acme, [acme.dora, acme.ivan], am_alice)
    dora, ivan = (SurveyInvitation.objects.get(contact=c) for c in (acme.dora, acme.ivan))
    base = {
        "survey": sent.survey,
        "client": acme,
        "kind": SurveyKind.NPS,
        "answered_at": NOW,
        "answered_on": NOW.date(),
    }
    SurveyAnswer.objects.create(contact=acme.dora, invitation=dora, score=8, **base)
    with pytest.raises(IntegrityError) as duplicate, transaction.atomic():
        # Through another invitation (Ivan's), still Dora's second answer to the same survey.
        SurveyAnswer.objects.create(contact=acme.dora, invitation=ivan, score=9, **base)
    assert "contact" in str(duplicate.value) or "survey_one_answer_per_contact" in str(duplicate.value)
    with pytest.raises(IntegrityError), transaction.atomic():
        SurveyAnswer.objects.create(contact=acme.ivan, invitation=ivan, score=11, **base)
    csat = _send(acme, [acme.mia], am_alice, kind=SurveyKind.CSAT)
    mia = SurveyInvitation.objects.get(contact=acme.mia)
    with pytest.raises(IntegrityError), transaction.atomic():
        SurveyAnswer.objects.create(
            survey=csat.survey, client=acme, kind=SurveyKind.CSAT, contact=acme.mia, invitation=mia, score=0,
            answered_at=NOW, answered_on=NOW.date(),
        )  # fmt: skip
    assert SurveyAnswer.objects.count() == 1


# --- answers as KPI values, on the timeline, to the owner ------------------------------------------------------------


def _answer(sent, contact, score, comment="", at=None):
    invitation = SurveyInvitation.objects.get(survey=sent.survey, contact=contact)
    return services.survey_answer(invitation=invitation, score=score, comment=comment, now=at)


def test_answers_become_the_nps_of_the_quarter_through_ingestion(acme, am_alice):
    with time_machine.travel(NOW, tick=False):
        sent = _send(acme, [acme.dora, acme.ivan, acme.mia], am_alice)
        _answer(sent, acme.dora, 10)
        _answer(sent, acme.ivan, 9)
        _answer(sent, acme.mia, 3, "Invoices are always wrong")
    day = NOW.date()
    assert _kpi(acme, "nps") == {day: pytest.approx(33.3)}  # (2 promoters - 1 detractor) / 3
    assert RescoreDue.objects.filter(client=acme).exists()  # announced: health re-scores the client
    with time_machine.travel(NOW + dt.timedelta(days=1), tick=False):
        again = _send(acme, [acme.dora], am_alice)
        _answer(again, acme.dora, 7)
    # The next day's value reads the quarter's four answers; the day before keeps what was true then.
    assert _kpi(acme, "nps") == {day: pytest.approx(33.3), day + dt.timedelta(days=1): 25.0}


def test_a_new_quarter_starts_without_a_value_and_csat_is_the_mean(acme, am_alice):
    with time_machine.travel(dt.datetime(2026, 12, 30, 10, tzinfo=dt.UTC), tick=False):
        sent = _send(acme, [acme.dora, acme.ivan], am_alice, kind=SurveyKind.CSAT)
        _answer(sent, acme.dora, 5)
    with time_machine.travel(dt.datetime(2027, 1, 2, 10, tzinfo=dt.UTC), tick=False):
        _answer(sent, acme.ivan, 2)
    # The January answer starts Q1 2027 on its own: 2, not the mean with December's 5.
    assert _kpi(acme, "csat") == {dt.date(2026, 12, 30): 5.0, dt.date(2027, 1, 2): 2.0}
    assert Metric.objects.get(key="csat").max_value == 5
    assert _kpi(acme, "nps") == {}  # no NPS answer: no NPS value at all (not 0)
    results = selectors.client_results(client=acme, quarter=selectors.Quarter(2027, 1))
    assert results["nps"].score is None and results["csat"].score == 2.0


@time_machine.travel(NOW, tick=False)
def test_each_answer_with_its_reason_is_on_the_timeline_and_a_detractor_tells_the_owner(acme, am_alice):
    sent = _send(acme, [acme.dora, acme.ivan], am_alice)
    _answer(sent, acme.dora, 10, "Great team")
    _answer(sent, acme.ivan, 4, "Deliveries late again")
    entries = [e for e in timeline_page(client=acme, user=am_alice).entries if e.kind == "survey"]
    assert [(e.body, e.badges[-1]) for e in entries] == [
        ("Deliveries late again", "Detractor"),
        ("Great team", "Promoter"),
    ]
    assert "4 of 10" in entries[0].title
    [note] = Notification.objects.filter(user=am_alice)
    assert note.kind == "detractor_answered"
    assert "Ivan Berg" in note.text and "4" in note.text and "Deliveries late again" in note.text
    # Stored as a kind with its names, so each reader sees it in their own language.
    with translation.override("ru"):
        assert note.headline.startswith("Ivan Berg (") and "оценкой 4" in note.headline


@time_machine.travel(NOW, tick=False)
def test_a_detractor_without_a_reason_is_told_without_a_dangling_colon(acme, am_alice):
    sent = _send(acme, [acme.ivan], am_alice)
    _answer(sent, acme.ivan, 3)
    [note] = Notification.objects.filter(user=am_alice)
    assert note.headline.endswith("answered the NPS survey with 3")


# --- reminders -------------------------------------------------------------------------------------------------------


def test_reminders_go_only_to_those_who_have_not_answered(acme, am_alice):
    with time_machine.travel(NOW, tick=False):
        sent = _send(acme, [acme.dora, acme.ivan, acme.mia], am_alice)
        _answer(sent, acme.dora, 9)
    with time_machine.travel(NOW + dt.timedelta(days=2), tick=False):
        assert services.survey_remind(survey=sent.survey, by=am_alice) == 2
        reminders = OutboxMessage.objects.filter(key__endswith="-1", key__startswith="survey-")
        assert sorted(reminders.values_list("recipient", flat=True)) == ["ivan@acme.example", "mia@acme.example"]
        assert all("Reminder" in m.subject for m in reminders)
        assert services.survey_remind(survey=sent.survey, by=am_alice) == 0  # not twice within a day
        # The link of the first e-mail still opens the survey; so does the reminder's.
        new_token = re.search(r"/a/([\w-]+)/", reminders.get(recipient="ivan@acme.example").body).group(1)
        assert Browser().get(_url(sent.tokens[acme.ivan.pk])).status_code == 200
        assert Browser().post(_url(new_token), {"score": "8"}).status_code == 302
    with time_machine.travel(NOW + dt.timedelta(days=8), tick=False):
        # The daily task reminds the ones never reminded by hand only: nobody left here.
        tasks.surveys_daily.delay()
    assert OutboxMessage.objects.filter(recipient="dora@acme.example", key__startswith="survey-").count() == 1
    assert OutboxMessage.objects.filter(recipient="mia@acme.example", key__startswith="survey-").count() == 2


def test_the_daily_task_reminds_after_the_delay_and_never_an_answerer(acme, am_alice, settings):
    settings.SURVEY_REMIND_AFTER_DAYS = 7
    with time_machine.travel(NOW, tick=False):
        sent = _send(acme, [acme.dora, acme.ivan], am_alice)
        _answer(sent, acme.dora, 9)
    with time_machine.travel(NOW + dt.timedelta(days=6), tick=False):
        tasks.surveys_daily.delay()
    assert not OutboxMessage.objects.filter(key__endswith="-1").exists()  # too early
    with time_machine.travel(NOW + dt.timedelta(days=7, hours=1), tick=False):
        tasks.surveys_daily.delay()
        tasks.surveys_daily.delay()  # a second run the same day sends nothing more
    assert list(OutboxMessage.objects.filter(key__endswith="-1").values_list("recipient", flat=True)) == [
        "ivan@acme.example"
    ]


# --- schedules -------------------------------------------------------------------------------------------------------


def test_a_schedule_sends_each_quarter_once(acme, am_alice):
    with time_machine.travel(NOW, tick=False):
        schedule = services.survey_schedule_save(
            client=acme, kind=SurveyKind.NPS, contacts=[acme.dora, acme.ivan], every_months=3,
            next_on=dt.date(2026, 11, 5), by=am_alice,
        )  # fmt: skip
    with time_machine.travel(dt.datetime(2026, 11, 4, 9, tzinfo=dt.UTC), tick=False):
        tasks.surveys_daily.delay()
    assert not Survey.objects.exists()
    with time_machine.travel(dt.datetime(2026, 11, 5, 9, tzinfo=dt.UTC), tick=False):
        tasks.surveys_daily.delay()
        assert services.survey_schedule_run(schedule_id=schedule.pk, today=dt.date(2026, 11, 5)) is None  # again
    survey = Survey.objects.get()
    assert (survey.schedule, survey.scheduled_for, survey.created_by) == (schedule, dt.date(2026, 11, 5), am_alice)
    assert survey.invitations.count() == 2
    schedule.refresh_from_db()
    assert schedule.next_on == dt.date(2027, 2, 5)
    with pytest.raises(IntegrityError), transaction.atomic():
        Survey.objects.create(
            client=acme, kind="nps", schedule=schedule, scheduled_for=dt.date(2026, 11, 5), sent_at=NOW, closes_at=NOW
        )


@time_machine.travel(NOW, tick=False)
def test_a_schedule_is_refused_in_the_past_and_for_a_teammate(acme, am_alice, am_bob):
    with pytest.raises(ApplicationError) as refused:
        services.survey_schedule_save(
            client=acme, kind="nps", contacts=[acme.dora], every_months=3, next_on=NOW.date() - dt.timedelta(days=1),
            by=am_alice,
        )  # fmt: skip
    assert refused.value.field == "next_on"
    with pytest.raises(NotAllowedError):
        services.survey_schedule_save(
            client=acme, kind="nps", contacts=[acme.dora], every_months=3, next_on=NOW.date(), by=am_bob
        )
    assert not SurveySchedule.objects.exists()


# --- pages and access per object -------------------------------------------------------------------------------------


@time_machine.travel(NOW, tick=False)
def test_pages_for_the_owner_the_teammate_and_another_team(acme, am_alice, am_bob, am_oscar, lead_lena):
    sent = _send(acme, [acme.dora, acme.ivan], am_alice)
    _answer(sent, acme.dora, 3, "Too slow")
    pages = [reverse("surveys:client", args=[acme.pk]), reverse("surveys:detail", args=[sent.survey.pk])]
    browser = Browser()
    browser.force_login(am_alice)
    for url in pages:
        page = browser.get(url)
        assert page.status_code == 200 and "Too slow" in page.content.decode()
    assert (
        reverse("surveys:client", args=[acme.pk])
        in browser.get(reverse("clients:detail", args=[acme.pk])).content.decode()
    )
    browser.force_login(am_oscar)
    for url in pages:
        assert browser.get(url).status_code == 404
    assert browser.post(reverse("surveys:remind", args=[sent.survey.pk])).status_code == 404
    assert "ACME" not in browser.get(reverse("surveys:portfolio")).content.decode()
    browser.force_login(am_bob)  # a teammate reads, does not act
    assert browser.get(pages[0]).status_code == 200
    assert browser.post(reverse("surveys:remind", args=[sent.survey.pk])).status_code == 403
    assert (
        browser.post(pages[0], {"action": "send", "send-kind": "nps", "send-contacts": [acme.dora.pk]}).status_code
        == 403
    )
    browser.force_login(lead_lena)
    portfolio = browser.get(reverse("surveys:portfolio"))
    assert portfolio.status_code == 200
    [row] = portfolio.context["page"].object_list
    assert (row.client, row.nps.score, row.nps.detractors, row.answered, row.invited) == (acme, -100.0, 1, 1, 2)


@time_machine.travel(NOW, tick=False)
def test_sending_from_the_page(acme, am_alice):
    browser = Browser()
    browser.force_login(am_alice)
    url = reverse("surveys:client", args=[acme.pk])
    page = browser.post(
        url, {"action": "send", "send-kind": "csat", "send-contacts": [acme.dora.pk], "send-open_days": "0"}
    )
    assert page.status_code == 200 and page.context["send_form"].errors["open_days"]
    done = browser.post(
        url, {"action": "send", "send-kind": "csat", "send-contacts": [acme.dora.pk], "send-open_days": "14"}
    )
    survey = Survey.objects.get()
    assert done.status_code == 302 and done["Location"] == reverse("surveys:detail", args=[survey.pk])
    assert survey.kind == "csat" and survey.closes_at == NOW + dt.timedelta(days=14)
    scheduled = browser.post(
        url,
        {"action": "schedule", "plan-kind": "nps", "plan-contacts": [acme.dora.pk, acme.ivan.pk],
         "plan-every_months": "3", "plan-next_on": "2026-12-01", "plan-is_active": "on"},
    )  # fmt: skip
    assert scheduled.status_code == 302
    assert SurveySchedule.objects.get().contacts.count() == 2


def test_the_portfolio_sorts_filters_pages_and_costs_the_same_queries(
    am_alice, lead_lena, django_assert_max_num_queries
):
    from tests.factories import ClientFactory

    with time_machine.travel(NOW, tick=False):
        for index in range(30):
            client = ClientFactory(name=f"Client {index:02d}", owner=am_alice, team=am_alice.team)
            contact = ContactFactory(client=client, email=f"c{index}@example.com")
            sent = _send(client, [contact], am_alice)
            if index % 3:
                _answer(sent, contact, index % 11)
        browser = Browser()
        browser.force_login(lead_lena)
        url = reverse("surveys:portfolio")
        with django_assert_max_num_queries(12):
            first = browser.get(url + "?ordering=-nps")
        rows = first.context["page"].object_list
        assert len(rows) == 25 and first.context["page"].has_next
        scores = [r.nps.score for r in rows if r.nps.score is not None]
        assert scores == sorted(scores, reverse=True)
        assert rows[-1].nps.score is None or all(r.nps.score is not None for r in rows)
        detractors = browser.get(url + "?detractors=1").context["page"].object_list
        assert detractors and all(r.nps.detractors for r in detractors)
        empty = browser.get(url + "?q=nobody")
        assert not empty.context["page"].object_list and "No client matches" in empty.content.decode()
        assert "No client was surveyed" in browser.get(url + "?quarter=2025-Q1").content.decode()


# --- the contact's language ------------------------------------------------------------------------------------------


@time_machine.travel(NOW, tick=False)
def test_the_answer_page_and_the_email_speak_the_contacts_language(acme, am_alice):
    Contact.objects.filter(pk=acme.dora.pk).update(language="ru")
    acme.dora.refresh_from_db()
    sent = _send(acme, [acme.dora, acme.ivan], am_alice)
    dora_mail = OutboxMessage.objects.get(recipient="dora@acme.example")
    assert '<html lang="ru">' in dora_mail.html
    assert '<html lang="en">' in OutboxMessage.objects.get(recipient="ivan@acme.example").html  # blank: LANGUAGE_CODE
    page = Browser().get(_url(sent.tokens[acme.dora.pk]), HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert '<html lang="ru">' in page.content.decode() and page["Content-Language"] == "ru"
    # A contact without a language gets what their browser asks for.
    page = Browser().get(_url(sent.tokens[acme.ivan.pk]), HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert '<html lang="zh-hans">' in page.content.decode()
