"""Notifications that name things: each kind, through the real action that causes it, shows the client's name,
its current figures and a link, in app and by e-mail (through the outbox), in the reader's language."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone, translation

from clients import services as client_services
from clients.models import ClientStatus
from core import events
from flags import services as flag_services
from flags.models import Flag, FlagStatus
from flags.notices import flags_opened_tell
from notifications.models import Notification, NotificationPreference, OutboxMessage
from tests.factories import ClientFactory, HandoffFactory

pytestmark = pytest.mark.django_db


def only_note(user) -> Notification:
    notes = list(Notification.objects.filter(user=user))
    assert len(notes) == 1, [n.text for n in notes]
    return notes[0]


def mail_to(user) -> OutboxMessage:
    rows = list(OutboxMessage.objects.filter(recipient=user.email, key__startswith="notify:"))
    assert len(rows) == 1, [r.key for r in rows]
    return rows[0]


def assert_names_figures_link(note: Notification, *, client_name: str, url: str, figures: dict[str, str]):
    assert client_name in note.headline and "#" not in note.headline.split(client_name)[0]
    assert note.url == url
    shown = dict(note.figures)
    for label, value in figures.items():
        assert shown[label] == value, shown


def test_a_handoff_sent_to_me_names_the_client_the_deal_and_its_amount(am_alice, sales_sam):
    prospect = ClientFactory(name="Kestrel Foods", status=ClientStatus.PROSPECT, owner=None, sales_owner=sales_sam)
    handoff, _ = client_services.handoff_create(
        by=sales_sam, client=prospect, deal_name="Kestrel 2027", deal_amount=Decimal("84000"), to_am=am_alice
    )
    note = only_note(am_alice)
    assert note.kind == "handoff_sent"
    assert note.headline == "Sam handed off Kestrel Foods to you: Kestrel 2027"
    assert_names_figures_link(
        note, client_name="Kestrel Foods", url=f"/handoffs/{handoff.pk}/", figures={"Deal": "84,000 EUR"}
    )
    mail = mail_to(am_alice)
    assert mail.subject == note.headline
    assert "Deal: 84,000 EUR" in mail.body and f"http://localhost:8000/handoffs/{handoff.pk}/" in mail.body
    assert "Kestrel Foods" in mail.html
    assert not Notification.objects.filter(user=sales_sam).exists()  # never told of their own action


def test_a_handoff_sent_to_my_team_tells_each_am_and_the_lead(am_alice, am_bob, lead_lena, am_oscar, sales_sam):
    prospect = ClientFactory(name="Osprey Labs", status=ClientStatus.PROSPECT, owner=None, sales_owner=sales_sam)
    client_services.handoff_create(by=sales_sam, client=prospect, deal_name="Osprey pilot", to_team=am_alice.team)
    for user in (am_alice, am_bob, lead_lena):
        assert only_note(user).headline == "Sam handed off Osprey Labs to your team: Osprey pilot"
    assert not Notification.objects.filter(user=am_oscar).exists()


def test_a_returned_handoff_tells_its_sender_why(am_alice, sales_sam):
    handoff = HandoffFactory(client__name="Heron Bank", created_by=sales_sam, to_am=am_alice)
    client_services.handoff_return(handoff=handoff, by=am_alice, reason="No success criteria")
    note = only_note(sales_sam)
    assert note.headline == "Alice returned your handoff of Heron Bank: No success criteria"
    assert note.url == f"/handoffs/{handoff.pk}/"


def test_an_accepted_handoff_tells_its_sender_with_the_arr_it_brought(am_alice, sales_sam):
    handoff = HandoffFactory(
        client__name="Plover AG", client__arr=Decimal("0"), created_by=sales_sam, to_am=am_alice,
        success_criteria="Go live in May", deal_amount=Decimal("61000"),
    )  # fmt: skip
    client_services.handoff_accept(handoff=handoff, by=am_alice)
    note = only_note(sales_sam)
    assert note.headline == "Alice accepted your handoff of Plover AG: " + handoff.deal_name
    assert dict(note.figures)["ARR"] == "61,000 EUR"  # the current figure, after the acceptance set it


def test_a_client_assigned_to_me_names_it_with_arr_and_renewal(am_alice, am_bob, lead_lena):
    client = ClientFactory(
        name="Wren Retail", owner=am_alice, team=am_alice.team, arr=Decimal("125000"), renewal_date=dt.date(2027, 3, 1)
    )
    client_services.client_update(client=client, by=lead_lena, expected_version=None, owner=am_bob)
    note = only_note(am_bob)
    assert note.headline == "Lena assigned Wren Retail to you"
    assert_names_figures_link(
        note, client_name="Wren Retail", url=f"/clients/{client.pk}/",
        figures={"ARR": "125,000 EUR", "Renewal": "March 1, 2027"},  # stored as ISO, shown in the reader's format
    )  # fmt: skip
    assert "Renewal: March 1, 2027" in mail_to(am_bob).body


def _flag(client, user, title="Orders falling"):
    today = timezone.localdate()
    return Flag.objects.create(
        client=client, title=title, evidence="Orders -42% over 7 days", assigned_to=user, opened_on=today,
        last_seen_on=today, status=FlagStatus.OPEN,
    )  # fmt: skip


def test_a_new_flag_names_the_client_not_its_number(am_alice):
    client = ClientFactory(name="Ibis Travel", owner=am_alice, team=am_alice.team)
    flag = _flag(client, am_alice)
    flags_opened_tell([flag])
    note = only_note(am_alice)
    assert note.headline == "Ibis Travel needs a call: Orders falling"
    assert f"#{client.pk}" not in note.text and "account #" not in note.text
    assert_names_figures_link(
        note, client_name="Ibis Travel", url=f"/flags/{flag.pk}/",
        figures={"Now": "Orders -42% over 7 days", "ARR": "50,000 EUR"},
    )  # fmt: skip
    # A flag's e-mail is the morning digest: nothing is sent right away.
    assert not OutboxMessage.objects.exists()


def test_a_flag_reassigned_to_me(am_alice, am_bob, lead_lena):
    client = ClientFactory(name="Crane Media", owner=am_alice, team=am_alice.team)
    flag = _flag(client, am_alice)
    flag_services.flag_reassign(flag=flag, by=lead_lena, to=am_bob)
    note = only_note(am_bob)
    assert note.headline == "Lena passed you a flag on Crane Media: Orders falling"
    assert note.url == f"/flags/{flag.pk}/"


def test_flags_moving_with_a_client_are_told_from_the_flags_reassigned_event(am_alice, am_bob, lead_lena):
    """The flags app publishes flags.reassigned when a client's flags follow a new owner; published here directly."""
    events.publish(
        "flags.reassigned", client_id=7, flag_ids=[11, 12, 13], to_user_id=am_bob.pk, by=lead_lena,
        display={"client": "Swift Energy", "url": "/clients/7/", "figures": [["open_flags", "3"]]},
    )  # fmt: skip
    note = only_note(am_bob)
    assert note.headline == "Lena passed you 3 flags of Swift Energy"
    assert dict(note.figures) == {"Open flags": "3"}


def test_a_counted_notification_takes_each_plural_form_of_the_readers_language():
    from notifications import kinds

    def said(count: int) -> str:
        return kinds.headline("flag_reassigned", {"variant": "client", "by": "Lena", "client": "Swift", "count": count})

    with translation.override("ru"):  # one, few, many
        assert [said(n) for n in (1, 3, 5)] == [
            "Lena: вам передан 1 сигнал по клиенту Swift",
            "Lena: вам переданы 3 сигнала по клиенту Swift",
            "Lena: вам передано 5 сигналов по клиенту Swift",
        ]
    assert said(1) == "Lena passed you 1 flag of Swift" and said(21) == "Lena passed you 21 flags of Swift"


def test_a_playbook_step_due_from_the_playbooks_event(am_alice):
    events.publish(
        "playbooks.step_due", run_id=4, step_id=9, owner_id=am_alice.pk, due_on="2026-12-04",
        display={
            "client": "Gannet Ltd", "step": "Kick-off call", "playbook": "Onboarding", "due": "2026-12-04",
            "url": "/clients/3/", "figures": [["arr", "40,000 EUR"]],
        },
    )  # fmt: skip
    note = only_note(am_alice)
    assert note.headline == "Gannet Ltd: “Kick-off call” of Onboarding is due on Dec. 4, 2026"
    assert note.params["due"] == "2026-12-04"  # kept as ISO: webhooks and other languages read the same value
    with translation.override("ru"):
        assert note.headline.endswith("4 декабря 2026 г.")
    assert note.url == "/clients/3/"


def test_a_notification_reads_in_the_readers_language(am_alice, am_bob, lead_lena):
    """Stored as kind + parameters: the page renders it in whatever language its reader uses now."""
    client = ClientFactory(name="Wren Retail", owner=am_alice, team=am_alice.team)
    client_services.client_update(client=client, by=lead_lena, expected_version=None, owner=am_bob)
    note = only_note(am_bob)
    assert note.params["client"] == "Wren Retail" and note.kind == "client_assigned"
    with translation.override("ru"):
        assert "Wren Retail" in note.headline  # (the Russian text when the catalogue has it)


def test_the_notifications_page_shows_names_figures_and_links(client, am_alice, am_bob, lead_lena):
    target = ClientFactory(name="Wren Retail", owner=am_alice, team=am_alice.team, arr=Decimal("125000"))
    client_services.client_update(client=target, by=lead_lena, expected_version=None, owner=am_bob)
    client.force_login(am_bob)
    page = client.get("/notifications/").content.decode()
    assert "Lena assigned Wren Retail to you" in page
    assert f'href="/clients/{target.pk}/"' in page and "125,000 EUR" in page


def test_email_off_for_a_kind_sends_no_email_but_keeps_the_bell(am_alice, am_bob, lead_lena):
    NotificationPreference.objects.create(user=am_bob, kind="client_assigned", channel="in_app")
    client = ClientFactory(owner=am_alice, team=am_alice.team)
    client_services.client_update(client=client, by=lead_lena, expected_version=None, owner=am_bob)
    assert only_note(am_bob)
    assert not OutboxMessage.objects.exists()
