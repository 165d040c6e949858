import datetime as dt

import pytest
from django.utils import timezone

from interactions.models import Interaction
from interactions.services import interaction_log
from tests.factories import ContactFactory

pytestmark = pytest.mark.django_db


def _bulk_interactions(client, author, count, **extra):
    now = timezone.now()
    Interaction.objects.bulk_create(
        Interaction(
            client=client,
            author=author,
            kind=("call", "email", "meeting", "note")[i % 4],
            occurred_at=now - dt.timedelta(hours=i + 1),
            summary=f"Entry {i}",
            **extra,
        )
        for i in range(count)
    )


@pytest.mark.parametrize("entries", [5, 500])
def test_account_page_costs_constant_queries_and_shows_the_first_page(
    client, am_alice, alice_client, entries, django_assert_max_num_queries
):
    _bulk_interactions(alice_client, am_alice, entries)
    client.force_login(am_alice)
    # Two per timeline provider (count, newest), one per panel that reads (invoices and documents, upcoming
    # meetings, playbook runs), the page sections and the session: none per entry, 5 entries or 500. (38: survey
    # answers are a timeline provider too.)
    with django_assert_max_num_queries(38):
        response = client.get(f"/clients/{alice_client.pk}/")
    assert response.status_code == 200
    timeline = response.context["timeline"]
    assert timeline.total == entries + 1  # plus the record's creation in the audit history
    assert len(timeline.entries) == min(20, entries + 1)
    assert response.content.decode().count('class="timeline-entry') == min(20, entries + 1)
    assert [e.at for e in timeline.entries] == sorted((e.at for e in timeline.entries), reverse=True)


def test_timeline_filters_by_kind_and_pages(client, am_alice, alice_client):
    _bulk_interactions(alice_client, am_alice, 60)
    client.force_login(am_alice)
    response = client.get(f"/clients/{alice_client.pk}/timeline/?kind=call&page=2", HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    page = response.context["timeline"]
    assert (page.total, page.number) == (15, 1)  # 15 calls fit on one page: page 2 is clamped to 1
    assert {e.kind for e in page.entries} == {"call"}
    assert len(page.entries) == 15
    all_kinds = client.get(f"/clients/{alice_client.pk}/timeline/?page=3").context["timeline"]
    assert all_kinds.number == 3 and len(all_kinds.entries) == 20 and all_kinds.total == 61


def test_private_note_stays_off_a_teammates_timeline(client, am_alice, am_bob, lead_lena, alice_client):
    interaction_log(
        client=alice_client,
        by=am_alice,
        kind="note",
        occurred_at=timezone.now(),
        summary="Sponsor hinted at budget cuts",
        is_private=True,
    )
    for user, sees in ((am_alice, True), (lead_lena, True), (am_bob, False)):
        client.force_login(user)
        body = client.get(f"/clients/{alice_client.pk}/").content.decode()
        assert ("Sponsor hinted at budget cuts" in body) is sees, user


def test_other_team_gets_404(client, am_oscar, alice_client):
    client.force_login(am_oscar)
    assert client.get(f"/clients/{alice_client.pk}/").status_code == 404
    assert client.get(f"/clients/{alice_client.pk}/timeline/").status_code == 404


class TestQuickLog:
    def test_log_in_place_with_htmx(self, client, am_alice, alice_client):
        dora = alice_client.contacts.get()
        other = ContactFactory(client=alice_client, first_name="Eli")
        client.force_login(am_alice)
        form = client.get(f"/clients/{alice_client.pk}/interactions/new/", HTTP_HX_REQUEST="true")
        assert form.status_code == 200 and b"<html" not in form.content  # a fragment, not a page
        response = client.post(
            f"/clients/{alice_client.pk}/interactions/new/",
            {
                "kind": "call",
                "occurred_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
                "contacts": [dora.pk, other.pk],
                "summary": "Agreed on the migration plan",
                "sentiment": "positive",
                "followup_title": "Send the migration plan",
                "followup_due": (timezone.localdate() + dt.timedelta(days=2)).isoformat(),
                "followup_is_commitment": "on",
                "followup_promised": (timezone.localdate() + dt.timedelta(days=5)).isoformat(),
            },
            HTTP_HX_REQUEST="true",
        )
        assert response.status_code == 200
        assert "timelineChanged" in response["HX-Trigger"].split(", ")
        interaction = Interaction.objects.get()
        assert set(interaction.contacts.all()) == {dora, other}
        followup = interaction.followups.get()
        assert followup.is_commitment and followup.promised_date > followup.due_date

    def test_bad_input_returns_the_form_with_errors_and_saves_nothing(self, client, am_alice, alice_client):
        client.force_login(am_alice)
        response = client.post(
            f"/clients/{alice_client.pk}/interactions/new/",
            {
                "kind": "call",
                "occurred_at": (timezone.localtime() + dt.timedelta(days=2)).strftime("%Y-%m-%dT%H:%M"),
                "summary": "",
                "sentiment": "neutral",
                "followup_title": "Something",
            },
            HTTP_HX_REQUEST="true",
        )
        assert response.status_code == 200
        form = response.context["form"]
        assert "summary" in form.errors and "followup_due" in form.errors
        assert not Interaction.objects.exists()

    def test_teammate_cannot_open_the_log_form(self, client, am_bob, alice_client):
        client.force_login(am_bob)
        assert client.get(f"/clients/{alice_client.pk}/interactions/new/").status_code == 403
