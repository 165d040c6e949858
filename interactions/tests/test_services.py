import datetime as dt

import pytest
from django.utils import timezone

from clients import services as client_services
from clients.models import Client
from core.errors import ApplicationError, NotAllowedError
from interactions import services
from interactions.models import FollowUp, FollowUpOrigin, FollowUpStatus, Interaction
from interactions.selectors import client_interactions, followup_buckets
from tests.factories import ClientFactory, ContactFactory, HandoffFactory

pytestmark = pytest.mark.django_db


def _ago(**delta) -> dt.datetime:
    return timezone.now() - dt.timedelta(**delta)


def _log(client, by, when, kind="call", **extra):
    return services.interaction_log(
        client=client, by=by, kind=kind, occurred_at=when, summary="Spoke about Q3", **extra
    )


def _last_contact(client) -> dt.datetime | None:
    return Client.objects.get(pk=client.pk).last_contact_at


class TestLastContactInvariant:
    """Client.last_contact_at always equals the newest live call, e-mail or meeting."""

    def test_create_edit_delete_keep_it_equal(self, alice_client, am_alice):
        older = _log(alice_client, am_alice, _ago(days=10))
        assert _last_contact(alice_client) == older.occurred_at
        newer = _log(alice_client, am_alice, _ago(days=2), kind="meeting")
        assert _last_contact(alice_client) == newer.occurred_at

        # Editing the date of the newest one moves the fact with it, even backwards.
        moved = services.interaction_update(
            interaction=newer, by=am_alice, expected_version=newer.version, occurred_at=_ago(days=20)
        )
        assert _last_contact(alice_client) == older.occurred_at
        services.interaction_update(
            interaction=moved, by=am_alice, expected_version=moved.version, occurred_at=_ago(hours=3)
        )
        assert _last_contact(alice_client) == Interaction.objects.get(pk=newer.pk).occurred_at

        services.interaction_delete(interaction=Interaction.objects.get(pk=newer.pk), by=am_alice)
        assert _last_contact(alice_client) == older.occurred_at
        services.interaction_delete(interaction=older, by=am_alice)
        assert _last_contact(alice_client) is None

    def test_due_date_follows_cadence(self, alice_client, am_alice):
        alice_client.contact_cadence_days = 14
        alice_client.save()
        call = _log(alice_client, am_alice, _ago(days=1))
        assert Client.objects.get(pk=alice_client.pk).contact_due_on == call.occurred_at.date() + dt.timedelta(days=14)

    def test_a_note_is_not_contact(self, alice_client, am_alice):
        _log(alice_client, am_alice, _ago(hours=1), kind="note")
        assert _last_contact(alice_client) is None

    def test_contacts_last_contacted(self, alice_client, am_alice):
        dora = alice_client.contacts.get()
        call = _log(alice_client, am_alice, _ago(days=1), contacts=[dora])
        dora.refresh_from_db()
        assert dora.last_contacted_at == call.occurred_at
        services.interaction_delete(interaction=call, by=am_alice)
        dora.refresh_from_db()
        assert dora.last_contacted_at is None


class TestBadInput:
    def test_future_beyond_tolerance_refused(self, alice_client, am_alice):
        with pytest.raises(ApplicationError) as error:
            _log(alice_client, am_alice, timezone.now() + dt.timedelta(hours=2))
        assert error.value.field == "occurred_at"
        assert not Interaction.objects.exists()

    def test_small_clock_skew_accepted(self, alice_client, am_alice):
        _log(alice_client, am_alice, timezone.now() + dt.timedelta(minutes=5))
        assert Interaction.objects.count() == 1

    def test_contact_of_another_client_refused(self, alice_client, am_alice):
        stranger = ContactFactory(client=ClientFactory(owner=am_alice, team=am_alice.team))
        with pytest.raises(ApplicationError) as error:
            _log(alice_client, am_alice, _ago(hours=1), contacts=[stranger])
        assert error.value.field == "contacts"
        assert not Interaction.objects.exists()

    def test_empty_summary_refused(self, alice_client, am_alice):
        with pytest.raises(ApplicationError) as error:
            services.interaction_log(
                client=alice_client, by=am_alice, kind="call", occurred_at=_ago(hours=1), summary="  "
            )
        assert error.value.field == "summary"

    def test_teammate_cannot_log_on_read_only_client(self, alice_client, am_bob):
        with pytest.raises(NotAllowedError):
            _log(alice_client, am_bob, _ago(hours=1))


class TestEditRights:
    def test_lead_may_edit_author_may_edit_teammate_may_not(self, alice_client, am_alice, am_bob, lead_lena):
        call = _log(alice_client, am_alice, _ago(hours=1))
        call = services.interaction_update(interaction=call, by=lead_lena, expected_version=call.version, outcome="ok")
        assert call.outcome == "ok"
        with pytest.raises(NotAllowedError):
            services.interaction_update(interaction=call, by=am_bob, expected_version=call.version, outcome="x")

    def test_edit_and_delete_are_in_the_audit_history(self, alice_client, am_alice):
        call = _log(alice_client, am_alice, _ago(hours=1))
        call = services.interaction_update(interaction=call, by=am_alice, expected_version=call.version, outcome="ok")
        services.interaction_delete(interaction=call, by=am_alice)
        history = list(Interaction.history.filter(id=call.pk).order_by("history_date"))
        assert [h.history_type for h in history] == ["+", "~", "~"]
        assert all(h.history_user == am_alice for h in history)
        assert history[-1].deleted_at is not None
        assert Interaction.objects.filter(pk=call.pk).exists()  # soft delete


class TestPrivateNotes:
    def test_visible_to_author_and_lead_only(self, alice_client, personas):
        note = _log(alice_client, personas["am_alice"], _ago(hours=1), kind="note", is_private=True)
        seen = {
            name: client_interactions(client=alice_client, user=user).filter(pk=note.pk).exists()
            for name, user in personas.items()
        }
        assert seen == {
            "am_alice": True,
            "lead_lena": True,
            "am_bob": False,
            "am_oscar": False,
            "sales_sam": False,
            "admin_ada": False,
        }

    def test_public_call_visible_to_team_and_sales(self, alice_client, personas):
        call = _log(alice_client, personas["am_alice"], _ago(hours=1))
        visible = {
            name
            for name, user in personas.items()
            if client_interactions(client=alice_client, user=user).filter(pk=call.pk).exists()
        }
        assert visible == {"am_alice", "am_bob", "lead_lena", "sales_sam", "admin_ada"}


class TestFollowUps:
    def _commitment(self, client, by, **extra):
        today = timezone.localdate()
        return services.followup_create(
            client=client,
            by=by,
            title="Send the migration plan",
            due_date=today + dt.timedelta(days=3),
            is_commitment=True,
            promised_date=today + dt.timedelta(days=7),
            **extra,
        )

    def test_from_interaction(self, alice_client, am_alice):
        call = _log(alice_client, am_alice, _ago(hours=1))
        followup = self._commitment(alice_client, am_alice, interaction=call)
        assert followup.origin == FollowUpOrigin.INTERACTION
        assert followup.owner == am_alice
        assert followup.promised_date > followup.due_date

    def test_promised_before_due_refused(self, alice_client, am_alice):
        today = timezone.localdate()
        with pytest.raises(ApplicationError) as error:
            services.followup_create(
                client=alice_client,
                by=am_alice,
                title="x",
                due_date=today + dt.timedelta(days=5),
                is_commitment=True,
                promised_date=today + dt.timedelta(days=1),
            )
        assert error.value.field == "promised_date"

    def test_promised_date_needs_commitment(self, alice_client, am_alice):
        today = timezone.localdate()
        with pytest.raises(ApplicationError):
            services.followup_create(
                client=alice_client, by=am_alice, title="x", due_date=today, promised_date=today, is_commitment=False
            )

    def test_done_then_done_again_refused(self, alice_client, am_alice):
        followup = self._commitment(alice_client, am_alice)
        done = services.followup_complete(followup=followup, by=am_alice)
        assert done.status == FollowUpStatus.DONE and done.completed_at is not None
        with pytest.raises(ApplicationError):
            services.followup_complete(followup=done, by=am_alice)

    def test_reschedule_keeps_history_and_promise_move_needs_reason(self, alice_client, am_alice):
        followup = self._commitment(alice_client, am_alice)
        first_due = followup.due_date
        moved = services.followup_reschedule(followup=followup, by=am_alice, due_date=first_due + dt.timedelta(days=2))
        assert moved.due_date == first_due + dt.timedelta(days=2)
        with pytest.raises(ApplicationError) as error:
            services.followup_reschedule(
                followup=moved,
                by=am_alice,
                due_date=moved.due_date,
                promised_date=moved.promised_date + dt.timedelta(days=7),
            )
        assert error.value.field == "reason"
        services.followup_reschedule(
            followup=moved,
            by=am_alice,
            due_date=moved.due_date,
            promised_date=moved.promised_date + dt.timedelta(days=7),
            reason="Client's IT freeze",
        )
        changes = list(followup.due_changes.order_by("changed_at", "pk"))
        assert [(c.old_due_date, c.new_due_date) for c in changes] == [
            (first_due, first_due + dt.timedelta(days=2)),
            (first_due + dt.timedelta(days=2), first_due + dt.timedelta(days=2)),
        ]
        assert changes[1].reason == "Client's IT freeze"

    def test_cancel_needs_reason(self, alice_client, am_alice):
        followup = self._commitment(alice_client, am_alice)
        with pytest.raises(ApplicationError):
            services.followup_cancel(followup=followup, by=am_alice, reason=" ")
        cancelled = services.followup_cancel(followup=followup, by=am_alice, reason="Client dropped the request")
        assert cancelled.status == FollowUpStatus.CANCELLED
        assert cancelled.cancel_reason == "Client dropped the request"

    def test_teammate_cannot_close_alices_followup(self, alice_client, am_alice, am_bob):
        followup = self._commitment(alice_client, am_alice)
        with pytest.raises(NotAllowedError):
            services.followup_complete(followup=followup, by=am_bob)

    def test_buckets(self, alice_client, am_alice):
        today = timezone.localdate()
        for days in (-3, 0, 4, 30):
            services.followup_create(
                client=alice_client, by=am_alice, title=f"d{days}", due_date=today + dt.timedelta(days=days)
            )
        buckets = followup_buckets(user=am_alice, today=today)
        assert [f.title for f in buckets.overdue] == ["d-3"]
        assert [f.title for f in buckets.today] == ["d0"]
        assert [f.title for f in buckets.this_week] == ["d4"]
        assert [f.title for f in buckets.later] == ["d30"]


class TestHandoffCommitments:
    def test_accepting_a_handoff_creates_commitments_for_the_new_owner(self, am_alice, sales_sam):
        handoff = HandoffFactory(
            client__sales_owner=sales_sam,
            created_by=sales_sam,
            to_am=am_alice,
            commitments=[
                {"text": "Data migration finished", "due_date": "2030-01-15"},
                {"text": "Weekly status call", "due_date": None},
            ],
        )
        client_services.handoff_accept(handoff=handoff, by=am_alice)
        followups = list(FollowUp.objects.filter(handoff=handoff).order_by("title"))
        assert [(f.title, f.owner, f.is_commitment, f.origin) for f in followups] == [
            ("Data migration finished", am_alice, True, FollowUpOrigin.HANDOFF),
            ("Weekly status call", am_alice, True, FollowUpOrigin.HANDOFF),
        ]
        assert followups[0].promised_date == dt.date(2030, 1, 15)
        assert followups[1].promised_date is None


def test_a_follow_up_that_cannot_be_made_takes_its_interaction_back(am_alice, alice_client):
    """The quick log's interaction and follow-up are one action: both or neither."""
    from django.core.exceptions import ValidationError

    with pytest.raises((ApplicationError, ValidationError)):
        services.interaction_log_with_followup(
            client=alice_client,
            by=am_alice,
            kind="call",
            occurred_at=timezone.now(),
            summary="Kept only with its follow-up",
            followup={"title": "", "due_date": timezone.localdate()},
        )
    assert not Interaction.objects.filter(summary="Kept only with its follow-up").exists()
