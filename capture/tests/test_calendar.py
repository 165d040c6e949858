"""Calendars out: the private feed (follow-ups, promised dates, reviews, renewals), parsed back with the
icalendar library; its secret URL (rotate, revoke, wrong token); stakeholders as vCard."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse
from icalendar import Calendar

from capture import services
from capture.vcard import contact_vcard
from clients.models import ClientStatus
from contracts.models import Contract, Renewal
from interactions import services as interaction_services
from reviews import services as review_services
from tests.factories import ClientFactory, ContactFactory

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 11, 2)


def _events(body: bytes) -> dict[str, dict]:
    calendar = Calendar.from_ical(body)
    assert calendar["VERSION"] == "2.0" and calendar["PRODID"]
    events = {}
    for event in calendar.walk("VEVENT"):
        assert event["DTSTAMP"] and event["DTSTART"] and event["DTEND"]
        events[str(event["UID"])] = {
            "summary": str(event["SUMMARY"]),
            "start": event.decoded("DTSTART"),
            "end": event.decoded("DTEND"),
            "url": str(event.get("URL", "")),
        }
    return events


@pytest.fixture
def portfolio(am_alice, am_bob):
    mine = ClientFactory(name="Müller Logistik", owner=am_alice, team=am_alice.team, status=ClientStatus.ACTIVE)
    theirs = ClientFactory(name="Bob's client", owner=am_bob, team=am_bob.team, status=ClientStatus.ACTIVE)
    followup = interaction_services.followup_create(
        client=mine,
        by=am_alice,
        title="Send the price list",
        due_date=TODAY + dt.timedelta(days=3),
        is_commitment=True,
        promised_date=TODAY + dt.timedelta(days=5),
    )
    interaction_services.followup_create(client=theirs, by=am_bob, title="Bob's task", due_date=TODAY)
    review = review_services.review_plan(
        client=mine, by=am_alice, year=2026, quarter=4, planned_on=TODAY + dt.timedelta(days=10), agenda="Q4 plan"
    )
    contract = Contract.objects.create(
        client=mine,
        number="C-1",
        start_date=dt.date(2026, 1, 1),
        end_date=dt.date(2026, 12, 31),
        term_months=12,
        value=Decimal("12000"),
    )
    renewal = Renewal.objects.create(contract=contract, client=mine, due_on=dt.date(2026, 12, 31))
    return {"client": mine, "followup": followup, "review": review, "renewal": renewal}


@time_machine.travel(dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC), tick=False)
def test_feed_lists_the_users_own_dates_and_nobody_elses(client, am_alice, portfolio):
    client.force_login(am_alice)
    page = client.post(reverse("capture:calendar"), {"action": "rotate"})
    feed_url = page.context["feed_url"]
    assert feed_url.startswith("http://testserver/calendar/") and feed_url.endswith(".ics")
    client.logout()  # a calendar app has no session

    response = client.get(feed_url)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    events = _events(response.content)
    followup, review, renewal = portfolio["followup"], portfolio["review"], portfolio["renewal"]
    assert set(events) == {
        f"followup-{followup.pk}-due@accounts-crm",
        f"followup-{followup.pk}-promised@accounts-crm",
        f"review-{review.pk}@accounts-crm",
        f"renewal-{renewal.pk}@accounts-crm",
    }
    due = events[f"followup-{followup.pk}-due@accounts-crm"]
    assert due["summary"] == "Due: Send the price list (Müller Logistik)"
    assert (due["start"], due["end"]) == (dt.date(2026, 11, 5), dt.date(2026, 11, 6))  # all day, DTEND exclusive
    assert events[f"followup-{followup.pk}-promised@accounts-crm"]["start"] == dt.date(2026, 11, 7)
    assert events[f"review-{review.pk}@accounts-crm"]["url"] == f"http://testserver/reviews/{review.pk}/"
    assert events[f"renewal-{renewal.pk}@accounts-crm"]["summary"] == "Renewal: Müller Logistik"


def test_done_follow_ups_leave_the_feed_and_uids_stay_stable(am_alice, portfolio):
    from capture import calendar

    before = {entry.uid for entry in calendar.entries_for(user=am_alice, today=TODAY)}
    assert before == {entry.uid for entry in calendar.entries_for(user=am_alice, today=TODAY)}
    interaction_services.followup_complete(followup=portfolio["followup"], by=am_alice)
    after = {entry.uid for entry in calendar.entries_for(user=am_alice, today=TODAY)}
    assert after == before - {
        f"followup-{portfolio['followup'].pk}-due@accounts-crm",
        f"followup-{portfolio['followup'].pk}-promised@accounts-crm",
    }


def test_a_replaced_or_revoked_feed_url_stops_working(client, am_alice, portfolio):
    first = services.calendar_feed_rotate(user=am_alice)
    second = services.calendar_feed_rotate(user=am_alice)
    assert client.get(reverse("capture:calendar_feed", args=[first])).status_code == 404
    assert client.get(reverse("capture:calendar_feed", args=[second])).status_code == 200
    assert client.get(reverse("capture:calendar_feed", args=["x" * 43])).status_code == 404
    assert services.calendar_feed_revoke(user=am_alice) is True
    assert client.get(reverse("capture:calendar_feed", args=[second])).status_code == 404
    # Only the hash is kept: the token itself is nowhere in the database.
    from capture.models import CalendarFeed

    services.calendar_feed_rotate(user=am_alice)
    assert not CalendarFeed.objects.filter(token_hash=second).exists()


def test_a_deactivated_users_feed_is_closed(client, am_alice):
    token = services.calendar_feed_rotate(user=am_alice)
    am_alice.is_active = False
    am_alice.save(update_fields=["is_active"])
    assert client.get(reverse("capture:calendar_feed", args=[token])).status_code == 404


def test_calendar_settings_page_shows_the_url_once(client, am_alice):
    client.force_login(am_alice)
    assert "You have no calendar feed." in client.get(reverse("capture:calendar")).content.decode()
    created = client.post(reverse("capture:calendar"), {"action": "rotate"}).content.decode()
    assert "/calendar/" in created and ".ics" in created
    again = client.get(reverse("capture:calendar")).content.decode()
    assert ".ics" not in again and "no calendar has read it yet" in again
    client.post(reverse("capture:calendar"), {"action": "revoke"})
    assert "You have no calendar feed." in client.get(reverse("capture:calendar")).content.decode()


def test_vcard_escapes_and_folds_without_breaking_characters(am_alice):
    client = ClientFactory(name="ООО «Ромашка», Москва", owner=am_alice, team=am_alice.team)
    contact = ContactFactory(
        client=client,
        first_name="Анна",
        last_name="Иванова-Петрова",
        job_title="Директор по развитию; закупки, логистика и работа с ключевыми клиентами",
        email="anna@romashka.ru",
        phone="+7 495 123-45-67",
    )
    text = contact_vcard(contact)
    lines = text.split("\r\n")
    assert lines[0] == "BEGIN:VCARD" and "VERSION:3.0" in lines and lines[-2] == "END:VCARD"
    assert all(len(line.encode()) <= 75 for line in lines)
    unfolded = text.replace("\r\n ", "")
    assert "N:Иванова-Петрова;Анна;;;" in unfolded
    assert "ORG:ООО «Ромашка»\\, Москва" in unfolded
    assert "TITLE:Директор по развитию\\; закупки\\, логистика" in unfolded
    assert "TEL;TYPE=WORK,VOICE:+7 495 123-45-67" in unfolded


def test_vcard_download_is_checked_like_the_client(client, am_alice, am_oscar):
    mine = ClientFactory(owner=am_alice, team=am_alice.team)
    ContactFactory(client=mine, first_name="Dora", email="dora@example.com")
    left = ContactFactory(client=mine, first_name="Gone", is_active=False)
    client.force_login(am_alice)
    response = client.get(reverse("capture:client_vcards", args=[mine.pk]))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/vcard")
    body = response.content.decode()
    assert body.count("BEGIN:VCARD") == 1 and "FN:Dora" in body
    assert client.get(reverse("capture:contact_vcard", args=[left.pk])).status_code == 200

    client.force_login(am_oscar)  # another team: not found, as for the client page
    assert client.get(reverse("capture:client_vcards", args=[mine.pk])).status_code == 404
    assert client.get(reverse("capture:contact_vcard", args=[left.pk])).status_code == 404


def _rfc5545_problems(body: bytes) -> list[str]:
    """The structural rules of RFC 5545 a calendar program relies on: CRLF line ends, content lines folded at 75
    octets, components opened and closed in order, and the properties every VEVENT must carry exactly once."""
    problems = []
    if not body.endswith(b"\r\n") or b"\n" in body.replace(b"\r\n", b""):
        problems.append("lines must end with CRLF")
    lines = body.split(b"\r\n")[:-1]
    problems += [f"line {i} longer than 75 octets" for i, line in enumerate(lines, 1) if len(line) > 75]
    unfolded: list[bytes] = []
    for line in lines:
        if line[:1] in (b" ", b"\t") and unfolded:
            unfolded[-1] += line[1:]
        else:
            unfolded.append(line)
    stack, event_props = [], []
    for line in unfolded:
        name = line.split(b":", 1)[0].split(b";", 1)[0].upper()
        if name == b"BEGIN":
            stack.append(line.split(b":", 1)[1])
            if stack[-1] == b"VEVENT":
                event_props = []
        elif name == b"END":
            if not stack or stack.pop() != line.split(b":", 1)[1]:
                problems.append(f"unbalanced {line!r}")
            elif line.endswith(b"VEVENT"):
                for required in (b"UID", b"DTSTAMP", b"DTSTART"):
                    if event_props.count(required) != 1:
                        problems.append(f"a VEVENT has {event_props.count(required)} {required.decode()}")
        elif stack and stack[-1] == b"VEVENT":
            event_props.append(name)
    if stack:
        problems.append(f"unclosed {stack}")
    if not unfolded or unfolded[0] != b"BEGIN:VCALENDAR" or b"VERSION:2.0" not in unfolded:
        problems.append("not a VCALENDAR of version 2.0")
    return problems


def test_a_feed_with_long_cyrillic_and_chinese_titles_keeps_to_rfc_5545(am_alice):
    client = ClientFactory(name="ООО «Ромашка» — 北京分公司的长期合作伙伴", owner=am_alice, team=am_alice.team)
    for title in (
        "Отправить подписанный акт сверки и счёт за четвёртый квартал",
        "准备第四季度的业务回顾材料和续约报价",
    ):
        interaction_services.followup_create(
            client=client, by=am_alice, title=title, due_date=TODAY, is_commitment=True, promised_date=TODAY
        )
    from capture import calendar

    body = calendar.feed_ics(
        entries=calendar.entries_for(user=am_alice, today=TODAY), name="Alice", base_url="http://testserver/"
    )
    assert _rfc5545_problems(body) == []
    assert len(Calendar.from_ical(body).walk("VEVENT")) == 4
    assert "lines must end with CRLF" in _rfc5545_problems(b"BEGIN:VCALENDAR\nVERSION:2.0\nEND:VCALENDAR\n")
