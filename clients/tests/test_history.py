"""The audit trail reads in words: people's names for ids, field labels for attribute names."""

import pytest
from django.urls import reverse

from clients import services
from clients.timeline import timeline_page

pytestmark = pytest.mark.django_db


def test_history_and_timeline_show_names_and_field_labels(client, lead_lena, am_alice, am_bob, alice_client):
    am_alice.first_name, am_alice.last_name = "Alice", "Adams"
    am_alice.save()
    am_bob.first_name, am_bob.last_name = "Bob", "Brown"
    am_bob.save()
    updated = services.client_update(
        client=alice_client, by=lead_lena, expected_version=alice_client.version, owner=am_bob, is_key_account=True
    )
    assert updated.owner_id == am_bob.pk

    client.force_login(lead_lena)
    page = client.get(reverse("clients:history", args=[alice_client.pk])).content.decode()
    assert "Alice Adams → Bob Brown" in page
    assert f"{am_alice.pk} → {am_bob.pk}" not in page
    assert "<strong>Owner</strong>" in page
    assert "<strong>Key account</strong>: no → yes" in page
    assert "contact_due_on" not in page and "<strong>owner</strong>" not in page

    entries = timeline_page(client=alice_client, user=lead_lena, kinds={"change"}).entries
    changed = next(e for e in entries if e.title == "Client record changed")
    assert "Owner: Alice Adams → Bob Brown" in changed.body
    assert "Key account: no → yes" in changed.body
    assert "owner_id" not in changed.body
