"""The shared plan page: what the account manager shares, what the client's contact sees and may do, and every
refusal an outsider meets (wrong, expired or revoked token, no code, a wrong code, another client's items)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.core.cache import cache
from django.test import Client as Browser
from django.urls import reverse
from django.utils import timezone

from clients.models import ClientStatus
from clients.timeline import timeline_page
from notifications.models import Notification, OutboxMessage
from reviews.models import AccountPlan, AccountReview, ReviewActionItem, ReviewStatus
from sharing import services
from sharing.models import SharedEventKind, SharedPlanEvent, SharedPlanLink
from tests.factories import ClientFactory, ContactFactory

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _fresh_rate_limit():
    """The per-address request counter lives in the cache; each test starts with none spent."""
    cache.clear()


@pytest.fixture
def acme(am_alice):
    client = ClientFactory(name="ACME Freight", owner=am_alice, team=am_alice.team, status=ClientStatus.ACTIVE)
    client.dora = ContactFactory(client=client, first_name="Dora", last_name="Lind", email="dora@acme.example")
    client.ivan = ContactFactory(client=client, first_name="Ivan", email="ivan@acme.example")
    AccountPlan.objects.create(
        client=client,
        objectives=[
            {"objective": "Cut returns handling cost by 15%", "target": "2 EUR per order", "status": "on_track",
             "shared": True},
            {"objective": "Upsell the analytics add-on", "target": "", "status": "on_track", "shared": False},
        ],
    )  # fmt: skip
    review = AccountReview.objects.create(
        client=client, year=2026, quarter=3, status=ReviewStatus.HELD, planned_on=dt.date(2026, 9, 10),
        held_on=dt.date(2026, 9, 10),
    )  # fmt: skip
    client.ours = ReviewActionItem.objects.create(
        review=review, title="Send the returns report", owner=am_alice, shared_with_client=True
    )
    client.theirs = ReviewActionItem.objects.create(
        review=review, title="Share last month's return reasons", shared_with_client=True, contact=client.dora
    )
    client.internal = ReviewActionItem.objects.create(review=review, title="Prepare the upsell pitch", owner=am_alice)
    return client


@pytest.fixture
def globex(am_oscar):
    client = ClientFactory(name="Globex", owner=am_oscar, team=am_oscar.team, status=ClientStatus.ACTIVE)
    client.gina = ContactFactory(client=client, first_name="Gina", email="gina@globex.example")
    return client


def _share(client, contact, by, days=30):
    [new] = services.shared_links_create(
        client=client, contacts=[contact], by=by, expires_in_days=days, base_url="http://testserver/"
    )
    return new.link, new.url.removeprefix("http://testserver")


def _code_from_outbox(link) -> str:
    message = OutboxMessage.objects.filter(key__startswith=f"shared-code-{link.pk}-").latest("pk")
    assert message.recipient == link.email
    return re.search(r"(\d{6})", message.subject).group(1)


def _open(browser: Browser, path: str, link) -> None:
    """Ask for a code and enter it, as the contact does on their first visit."""
    browser.post(path, {"action": "send_code"})
    assert browser.post(path, {"action": "check_code", "code": _code_from_outbox(link)}).status_code == 302


def test_sharing_sends_each_contact_their_own_link_and_keeps_only_its_hash(acme, am_alice):
    created = services.shared_links_create(
        client=acme, contacts=[acme.dora, acme.ivan], by=am_alice, expires_in_days=30, base_url="http://testserver/"
    )
    assert len(created) == 2 and created[0].url != created[1].url
    for new in created:
        token = new.url.rstrip("/").rsplit("/", 1)[-1]
        assert not SharedPlanLink.objects.filter(token_hash=token).exists()  # hashed, never the token itself
        mail = OutboxMessage.objects.get(key=f"shared-link-{new.link.pk}")
        assert mail.recipient == new.link.contact.email and new.url in mail.body


def test_a_contact_without_an_address_or_of_another_client_is_refused(client, acme, globex, am_alice):
    nomail = ContactFactory(client=acme, first_name="Nomail", email="")
    client.force_login(am_alice)
    url = reverse("sharing:manage", args=[acme.pk])
    page = client.post(url, {"action": "share", "contacts": [nomail.pk], "expires_in_days": 30})
    assert page.status_code == 200 and "no e-mail address" in page.content.decode()
    page = client.post(url, {"action": "share", "contacts": [globex.gina.pk], "expires_in_days": 30})
    assert page.status_code == 200 and page.context["form"].errors["contacts"]
    page = client.post(url, {"action": "share", "contacts": [acme.dora.pk], "expires_in_days": 0})
    assert page.context["form"].errors["expires_in_days"]
    assert not SharedPlanLink.objects.exists()


def test_the_contact_sees_only_what_was_shared_after_the_one_time_code(acme, am_alice):
    link, path = _share(acme, acme.dora, am_alice)
    browser = Browser()
    first = browser.get(path)
    body = first.content.decode()
    assert first.status_code == 200 and "d•••@acme.example" in body
    assert "Cut returns handling cost" not in body  # nothing before the code
    assert first["X-Robots-Tag"] == "noindex, nofollow" and first["Referrer-Policy"] == "same-origin"
    assert 'name="robots" content="noindex, nofollow"' in body and first["Cache-Control"] == "no-store, private"

    browser.post(path, {"action": "send_code"})
    wrong = browser.post(
        path, {"action": "check_code", "code": "000000" if _code_from_outbox(link) != "000000" else "111111"}
    )
    assert wrong.status_code == 200 and "not right" in wrong.content.decode()
    assert browser.post(path, {"action": "check_code", "code": _code_from_outbox(link)}).status_code == 302

    page = browser.get(path).content.decode()
    assert "Cut returns handling cost by 15%" in page and "2 EUR per order" in page
    assert "Send the returns report" in page and "Share last month&#x27;s return reasons" in page
    for internal in ("Upsell the analytics add-on", "Prepare the upsell pitch", "Health", "flag"):
        assert internal not in page
    assert am_alice.email in page
    kinds = list(SharedPlanEvent.objects.filter(link=link).values_list("kind", flat=True))
    assert set(kinds) >= {SharedEventKind.CODE_SENT, SharedEventKind.CODE_FAILED, SharedEventKind.VERIFIED,
                          SharedEventKind.VIEWED}  # fmt: skip

    # Another browser with the same link must prove itself again.
    assert "Cut returns handling cost" not in Browser().get(path).content.decode()


def test_the_contact_ticks_their_own_item_and_comments_and_the_am_hears_of_it(acme, am_alice):
    link, path = _share(acme, acme.dora, am_alice)
    browser = Browser()
    _open(browser, path, link)
    assert browser.post(path, {"action": "tick", "item": acme.theirs.pk, "done": "1"}).status_code == 302
    acme.theirs.refresh_from_db()
    assert acme.theirs.done_by_contact_at is not None
    refused = browser.post(path, {"action": "tick", "item": acme.ours.pk, "done": "1"}, follow=True)
    assert "not yours to tick" in refused.content.decode()
    acme.ours.refresh_from_db()
    assert acme.ours.done_by_contact_at is None

    browser.post(path, {"action": "comment", "text": "We will send the file on Friday."})
    texts = list(Notification.objects.filter(user=am_alice).values_list("text", flat=True))
    assert any("ticked done: Share last month's return reasons" in t for t in texts)
    assert any("commented on the shared plan: We will send the file on Friday." in t for t in texts)
    assert set(Notification.objects.filter(user=am_alice).values_list("kind", flat=True)) == {"shared_plan_activity"}
    entries = timeline_page(client=acme, user=am_alice, kinds={"shared"}).entries
    assert [e.title for e in entries] == [
        "Dora Lind commented on the shared plan", "Dora Lind ticked an action item done",
    ]  # fmt: skip
    blank = browser.post(path, {"action": "comment", "text": "   "})
    assert blank.status_code == 200 and blank.context["comment_form"].errors


def test_a_contact_of_another_client_cannot_reach_this_clients_items(acme, globex, am_alice, am_oscar):
    link, path = _share(globex, globex.gina, am_oscar)
    browser = Browser()
    _open(browser, path, link)
    page = browser.get(path).content.decode()
    assert "Globex" in page and "ACME" not in page and "Cut returns" not in page
    answer = browser.post(path, {"action": "tick", "item": acme.theirs.pk, "done": "1"}, follow=True)
    assert "not on your plan" in answer.content.decode()
    acme.theirs.refresh_from_db()
    assert acme.theirs.done_by_contact_at is None


def test_wrong_expired_revoked_and_left_links_open_nothing(acme, am_alice):
    assert Browser().get("/s/not-a-token/").status_code == 404
    assert Browser().post("/s/not-a-token/", {"action": "send_code"}).status_code == 404
    link, path = _share(acme, acme.dora, am_alice, days=7)
    with time_machine.travel(timezone.now() + dt.timedelta(days=8)):
        expired = Browser().get(path)
        assert expired.status_code == 410 and "expired" in expired.content.decode()
        assert Browser().post(path, {"action": "send_code"}).status_code == 410

    browser = Browser()
    _open(browser, path, link)
    services.shared_link_revoke(link=link, by=am_alice)
    assert browser.get(path).status_code == 410  # even for the browser that had the code
    assert browser.post(path, {"action": "tick", "item": acme.theirs.pk, "done": "1"}).status_code == 410

    link, path = _share(acme, acme.ivan, am_alice)
    acme.ivan.is_active = False
    acme.ivan.save(update_fields=["is_active"])
    assert Browser().get(path).status_code == 410
    acme.archived_at = timezone.now()
    acme.save(update_fields=["archived_at"])
    assert Browser().get(path).status_code == 404


def test_codes_are_limited_in_tries_in_time_and_per_day(acme, am_alice):
    link, _path = _share(acme, acme.dora, am_alice)
    services.shared_code_send(link=link, now=NOW)
    code = _code_from_outbox(link)
    wrong = "999999" if code != "999999" else "888888"
    assert [services.shared_code_check(link=link, code=wrong, now=NOW) for _ in range(5)] == ["wrong"] * 5
    # The right code is dead after five wrong ones.
    assert services.shared_code_check(link=link, code=code, now=NOW) == services.CodeCheck.LOCKED
    with pytest.raises(services.ApplicationError, match="a moment ago"):
        services.shared_code_send(link=link, now=NOW + dt.timedelta(seconds=30))
    for minutes in range(1, 5):
        services.shared_code_send(link=link, now=NOW + dt.timedelta(minutes=minutes))
    with pytest.raises(services.ApplicationError, match="Too many codes today"):
        services.shared_code_send(link=link, now=NOW + dt.timedelta(minutes=6))
    code = _code_from_outbox(link)
    late = NOW + dt.timedelta(minutes=4, seconds=15 * 60 + 1)
    assert services.shared_code_check(link=link, code=code, now=late) == services.CodeCheck.EXPIRED
    assert services.shared_code_check(link=link, code=code, now=NOW + dt.timedelta(minutes=5)) == "right"
    assert services.shared_code_check(link=link, code=code, now=NOW + dt.timedelta(minutes=5)) == "expired"  # once


def test_too_many_requests_from_one_address_are_slowed_down(acme, am_alice, settings):
    settings.SHARING_REQUESTS_PER_MINUTE = 3
    _link, path = _share(acme, acme.dora, am_alice)
    browser = Browser()
    statuses = [browser.get(path).status_code for _ in range(4)]
    assert statuses[:3] == [200, 200, 200] and statuses[3] == 429


def test_the_am_chooses_what_is_shared_and_revokes_and_a_teammate_only_reads(client, acme, am_alice, am_bob, am_oscar):
    client.force_login(am_alice)
    url = reverse("sharing:manage", args=[acme.pk])
    data = {"action": "content", "objective": ["1"], f"item-{acme.internal.pk}-shared": "1",
            f"item-{acme.internal.pk}-contact": str(acme.ivan.pk)}  # fmt: skip
    assert client.post(url, data).status_code == 302
    plan = AccountPlan.objects.get(client=acme)
    assert [o["shared"] for o in plan.objectives] == [False, True]
    acme.internal.refresh_from_db()
    acme.theirs.refresh_from_db()
    assert (acme.internal.shared_with_client, acme.internal.contact_id) == (True, acme.ivan.pk)
    assert acme.theirs.shared_with_client is False  # not ticked this time

    link, _path = _share(acme, acme.dora, am_alice)
    page = client.get(url).content.decode()
    assert "dora@acme.example" in page and "Active" in page
    assert client.post(reverse("sharing:revoke", args=[link.pk])).status_code == 302
    link.refresh_from_db()
    assert link.revoked_at is not None

    client.force_login(am_bob)  # a teammate reads the page but changes nothing
    assert client.get(url).status_code == 200
    assert client.post(url, {"action": "content"}).status_code == 403
    client.force_login(am_oscar)  # another team: as if it did not exist
    assert client.get(url).status_code == 404
    assert client.post(reverse("sharing:revoke", args=[link.pk])).status_code == 404


def test_the_page_its_code_and_the_link_email_speak_the_contacts_language(acme, am_alice):
    from clients.models import Contact

    Contact.objects.filter(pk=acme.dora.pk).update(language="ru")
    acme.dora.refresh_from_db()
    link, path = _share(acme, acme.dora, am_alice)
    [ivan_link] = services.shared_links_create(
        client=acme, contacts=[acme.ivan], by=am_alice, expires_in_days=30, base_url="http://testserver/"
    )
    browser = Browser()
    page = browser.get(path, HTTP_ACCEPT_LANGUAGE="zh-hans")  # the contact's choice wins over the browser's
    assert page.status_code == 200 and '<html lang="ru">' in page.content.decode() and page["Content-Language"] == "ru"
    browser.post(path, {"action": "send_code"}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert _code_from_outbox(link)  # sent while Russian was active (the .mo catalogues are not in the tree)
    link.revoked_at = NOW
    link.save(update_fields=["revoked_at"])
    refused = browser.get(path, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert refused.status_code == 410 and '<html lang="ru">' in refused.content.decode()
    # Ivan chose nothing: his browser decides.
    ivan_path = ivan_link.url.removeprefix("http://testserver")
    assert '<html lang="zh-hans">' in Browser().get(ivan_path, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
