"""``@username`` in an interaction or note tells that colleague, respecting privacy."""

from __future__ import annotations

import pytest
from django.utils import timezone

from interactions import services as interaction_services
from notifications.mentions import excerpt, mentioned_usernames
from notifications.models import Notification


def test_the_parser_finds_usernames_not_email_addresses():
    text = "Call with @am_bob and @Lead_Lena, cc bob@example.com; @am_bob again. Ask @ada."
    assert mentioned_usernames(text) == ["am_bob", "Lead_Lena", "ada"]
    assert mentioned_usernames("") == []


def test_the_excerpt_keeps_the_words_around_the_mention():
    text = "x " * 200 + "please @am_bob check the invoice" + " y" * 200
    piece = excerpt(text, "am_bob")
    assert "@am_bob check the invoice" in piece and piece.startswith("…") and len(piece) < 150


@pytest.mark.django_db
def test_a_mention_in_an_interaction_tells_the_colleague_with_the_client_and_a_link(alice_client, am_alice, am_bob):
    interaction = interaction_services.interaction_log(
        client=alice_client, by=am_alice, kind="call", occurred_at=timezone.now(),
        summary="Dora wants a discount; @am_bob can you check their orders?",
    )  # fmt: skip
    note = Notification.objects.get(user=am_bob)
    assert note.kind == "mention"
    assert note.headline.startswith("Alice mentioned you on Nordwind Logistics: “Dora wants a discount")
    assert note.url == f"/clients/{alice_client.pk}/" and interaction.pk
    assert dict(note.figures)["ARR"] == "50,000 EUR"


@pytest.mark.django_db
def test_a_private_note_mentions_only_those_who_may_read_it(alice_client, am_alice, am_bob, lead_lena, am_oscar):
    interaction_services.interaction_log(
        client=alice_client, by=am_alice, kind="note", occurred_at=timezone.now(), is_private=True,
        summary="Churn risk, keep quiet: @am_bob @lead_lena @am_oscar",
    )  # fmt: skip
    # The team lead reads private notes; a teammate and another team's AM do not, so they are not told.
    assert list(Notification.objects.values_list("user__username", flat=True)) == ["lead_lena"]


@pytest.mark.django_db
def test_a_mention_of_someone_who_cannot_see_the_client_tells_nobody(alice_client, am_alice, am_oscar):
    interaction_services.interaction_log(
        client=alice_client, by=am_alice, kind="call", occurred_at=timezone.now(), summary="@am_oscar had this once"
    )
    assert not Notification.objects.exists()


@pytest.mark.django_db
def test_editing_tells_only_the_newly_mentioned(alice_client, am_alice, am_bob, lead_lena):
    interaction = interaction_services.interaction_log(
        client=alice_client, by=am_alice, kind="call", occurred_at=timezone.now(), summary="@am_bob see this"
    )
    interaction_services.interaction_update(
        interaction=interaction, by=am_alice, expected_version=None, summary="@am_bob see this, and @lead_lena too"
    )
    assert sorted(Notification.objects.values_list("user__username", flat=True)) == ["am_bob", "lead_lena"]
