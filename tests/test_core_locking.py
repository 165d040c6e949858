"""core.locking: the one optimistic-lock check, used by every versioned record."""

from __future__ import annotations

import pytest
from django.db import transaction

from clients.models import Client
from core.errors import ConcurrentEditError, NotAllowedError
from core.locking import lock_for_update
from tests.factories import ClientFactory


@pytest.mark.django_db
def test_lock_for_update_refuses_a_stale_version_and_checks_the_permission_on_the_locked_row():
    client = ClientFactory(name="Acme")
    Client.objects.filter(pk=client.pk).update(version=3)
    with transaction.atomic():
        assert lock_for_update(Client, client.pk, 3).version == 3
        assert lock_for_update(Client.objects.filter(name="Acme"), client.pk, None).pk == client.pk
        with pytest.raises(ConcurrentEditError, match="your version 2, now 3"):
            lock_for_update(Client, client.pk, 2)
        with pytest.raises(NotAllowedError, match="not yours"):
            lock_for_update(Client, client.pk, 3, allowed=lambda row: row.version < 3, refusal="not yours")
