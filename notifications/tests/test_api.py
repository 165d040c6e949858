"""The notifications API answers what its published schema says, for every kind and for the old kind-less rows."""

from __future__ import annotations

import json

from notifications import kinds
from notifications.models import Notification


def _kind_values_in_schema(client) -> set[str]:
    schema = json.loads(client.get("/api/schema/", {"format": "json"}).content)
    components = schema["components"]["schemas"]
    values: set[str] = set()
    for ref in components["Notification"]["properties"]["kind"]["oneOf"]:
        values |= set(components[ref["$ref"].rsplit("/", 1)[-1]]["enum"])
    return values


def test_every_kind_a_notification_can_have_is_in_the_schema(client, am_alice):
    client.force_login(am_alice)
    Notification.objects.create(user=am_alice, kind="", text="Written before kinds existed")
    for kind in kinds.Kind.values:
        Notification.objects.create(user=am_alice, kind=kind, params={"client": "Acme"}, text="stored")
    listed = client.get("/api/v1/notifications/", {"page_size": 100}).json()["results"]
    assert len(listed) == len(kinds.Kind.values) + 1
    assert {note["kind"] for note in listed} <= _kind_values_in_schema(client)
    assert "Written before kinds existed" in {note["text"] for note in listed}


def test_each_kind_has_a_headline_and_a_default_channel():
    assert set(kinds.SPECS) == set(kinds.Kind.values)
    assert set(kinds.HEADLINES) == set(kinds.Kind.values)
