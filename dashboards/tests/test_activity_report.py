"""The lead's weekly activity report: per AM and team, calls / meetings / e-mails, commitments kept and late."""

import csv
import datetime as dt
import io

import pytest
from django.urls import reverse
from django.utils import timezone

from core.dates import Week
from dashboards.selectors import activity_report
from interactions.models import FollowUp, FollowUpStatus, Interaction
from tests.factories import ClientFactory

pytestmark = pytest.mark.django_db

MONDAY = dt.date(2026, 11, 23)
WEEK = Week(start=MONDAY)


def _at(day: dt.date, hour: int = 10) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


def _log(client, author, kind, day):
    return Interaction.objects.create(client=client, author=author, kind=kind, occurred_at=_at(day), summary="x")


def _commitment(client, owner, *, due, promised=None, done_on=None, status=FollowUpStatus.OPEN):
    return FollowUp.objects.create(
        client=client, owner=owner, title="Promise", due_date=due, promised_date=promised, is_commitment=True,
        status=FollowUpStatus.DONE if done_on else status, completed_at=_at(done_on) if done_on else None,
        created_by=owner,
    )  # fmt: skip


@pytest.fixture
def week_of_work(am_alice, am_bob, am_oscar):
    alice_client = ClientFactory(owner=am_alice, team=am_alice.team)
    bob_client = ClientFactory(owner=am_bob, team=am_bob.team)
    oscar_client = ClientFactory(owner=am_oscar, team=am_oscar.team)
    _log(alice_client, am_alice, "call", MONDAY)
    _log(alice_client, am_alice, "call", MONDAY + dt.timedelta(days=6))  # Sunday: still this week
    _log(alice_client, am_alice, "meeting", MONDAY + dt.timedelta(days=2))
    _log(alice_client, am_alice, "note", MONDAY)  # a note is not a contact
    _log(alice_client, am_alice, "call", MONDAY + dt.timedelta(days=7))  # next week
    _log(bob_client, am_bob, "email", MONDAY + dt.timedelta(days=1))
    _log(oscar_client, am_oscar, "call", MONDAY)  # other team
    # Alice: one kept (done before the promised date), one done late, one open past its date, one cancelled.
    _commitment(alice_client, am_alice, due=MONDAY, promised=MONDAY + dt.timedelta(days=3), done_on=MONDAY)
    _commitment(alice_client, am_alice, due=MONDAY + dt.timedelta(days=1), done_on=MONDAY + dt.timedelta(days=4))
    _commitment(alice_client, am_alice, due=MONDAY + dt.timedelta(days=2))
    _commitment(alice_client, am_alice, due=MONDAY, status=FollowUpStatus.CANCELLED)
    # Bob: promised next week, internal date this week: counted in the week of the promise, not this one.
    _commitment(bob_client, am_bob, due=MONDAY + dt.timedelta(days=2), promised=MONDAY + dt.timedelta(days=9))
    return alice_client


def test_report_counts_per_am_and_team(week_of_work, lead_lena, am_alice, am_bob, django_assert_max_num_queries):
    with django_assert_max_num_queries(3):
        report = activity_report(user=lead_lena, week=WEEK, today=MONDAY + dt.timedelta(days=10))
    rows = {row.person.username: row for row in report.rows}
    assert set(rows) == {am_alice.username, am_bob.username, lead_lena.username}  # Oscar's team is not Lena's
    alice = rows[am_alice.username]
    assert (alice.calls, alice.meetings, alice.emails) == (2, 1, 0)
    assert (alice.commitments_due, alice.commitments_kept, alice.commitments_late) == (3, 1, 2)
    assert rows[am_bob.username].emails == 1 and rows[am_bob.username].commitments_due == 0
    (total,) = report.team_totals
    assert (total.calls, total.emails, total.commitments_late) == (2, 1, 2)


def test_an_open_commitment_is_not_late_before_its_date(week_of_work, lead_lena, am_alice):
    report = activity_report(user=lead_lena, week=WEEK, today=MONDAY + dt.timedelta(days=2))
    alice = next(r for r in report.rows if r.person == am_alice)
    # On Wednesday: Tuesday's (done on Friday) is late; Wednesday's, still open, is not late yet.
    assert alice.commitments_late == 1


def test_page_week_picker_and_csv(client, week_of_work, lead_lena, am_alice):
    client.force_login(lead_lena)
    url = reverse("dashboards:activity_report")
    page = client.get(url, {"week": "2026-W48"})
    assert page.status_code == 200
    body = page.content.decode()
    assert 'value="2026-W48"' in body and "?week=2026-W47" in body
    assert str(am_alice) in body
    response = client.get(url, {"week": "2026-W48", "format": "csv"})
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode().lstrip("\ufeff"))))
    assert rows[0][:3] == ["Week", "Team", "Account manager"]
    alice = next(r for r in rows if r[2] == str(am_alice))
    assert alice[3:] == ["2", "1", "0", "3", "1", "2"]
    assert rows[-1][2] == "Team total"
    # A week that does not parse is this week, not an error.
    assert client.get(url, {"week": "not-a-week"}).status_code == 200


def test_only_leads_and_admins(client, am_alice, admin_ada):
    client.force_login(am_alice)
    assert client.get(reverse("dashboards:activity_report")).status_code == 403
    client.force_login(admin_ada)
    assert client.get(reverse("dashboards:activity_report")).status_code == 200


def test_week_parsing():
    today = dt.date(2026, 12, 3)
    assert Week.parse("2026-W49", today=today).start == dt.date(2026, 11, 30)
    assert Week.parse("2026-12-03", today=today).start == dt.date(2026, 11, 30)
    assert Week.parse("2026-W99", today=today) == Week.of(today)
    assert Week.of(today).iso == "2026-W49" and Week.of(today).end == dt.date(2026, 12, 6)
