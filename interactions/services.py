"""Every write to interactions and follow-ups; HTML views and the API call these.

``Client.last_contact_at`` (and the contacts' ``last_contacted_at``) are denormalised
facts owned by this app: every service that changes an interaction recomputes them
in the same transaction (DESIGN.md), from the non-deleted calls, e-mails and meetings.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.db.models import Max, OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from clients.cadence import contact_due_on
from clients.models import Client, Contact, Handoff
from clients.permissions import client_can_edit, client_can_view
from core import events
from core.errors import ApplicationError, NotAllowedError
from core.locking import lock_for_update, save_audited
from interactions.models import (
    CONTACT_KINDS,
    DueDateChange,
    FollowUp,
    FollowUpOrigin,
    FollowUpStatus,
    Interaction,
)
from interactions.notices import mention_text, mentions_publish
from interactions.permissions import followup_can_edit, interaction_can_edit
from interactions.selectors import contact_interactions
from users.models import Role, User

# How far in the future a logged interaction may be (clock skew, a call logged as it starts).
FUTURE_TOLERANCE = dt.timedelta(minutes=15)
INTERACTION_FIELDS = {"kind", "occurred_at", "summary", "sentiment", "outcome", "next_step", "is_private"}
DEFAULT_COMMITMENT_DAYS = 14
# Published when a follow-up is done or cancelled (followup=, by=), in the service's transaction: playbooks
# moves the run the follow-up belongs to on.
FOLLOWUP_CLOSED = "interactions.followup_closed"

# Published inside the service's transaction, with ``interaction`` and ``by`` (None: a task), whenever a contact (a
# call, an e-mail or a meeting, not a note) is logged, captured or changed on any path (pages, API, capture): the
# apps to the right of interactions (flags re-evaluates the client's contact rules) subscribe in AppConfig.ready().
CONTACT_LOGGED = "interactions.contact_logged"


# --- interactions ------------------------------------------------------------------------------


def _validate_interaction(*, client: Client, occurred_at: dt.datetime | None, summary: str, contacts) -> None:
    if occurred_at is None:
        raise ApplicationError(_("Say when it happened."), field="occurred_at")
    if timezone.is_naive(occurred_at):
        raise ApplicationError(_("The time needs a time zone."), field="occurred_at")
    if occurred_at > timezone.now() + FUTURE_TOLERANCE:
        raise ApplicationError(
            _("That time is in the future. Log what happened; plan what is next with a follow-up."),
            field="occurred_at",
        )
    if not (summary or "").strip():
        raise ApplicationError(_("Write a short summary of what was said."), field="summary")
    foreign = [c for c in contacts if c.client_id != client.pk]
    if foreign:
        names = ", ".join(str(c) for c in foreign)
        raise ApplicationError(
            _("Not a contact of %(client)s: %(names)s.") % {"client": client, "names": names}, field="contacts"
        )


def refresh_contact_facts(*, client_id: int, contact_ids: Iterable[int] = ()) -> None:
    """Recompute last contact of the client (and of the given contacts) from live interactions."""
    live = contact_interactions()
    latest = live.filter(client_id=client_id).aggregate(latest=Max("occurred_at"))["latest"]
    client = Client.objects.only("pk", "contact_cadence_days", "contract_start", "created_at").get(pk=client_id)
    # .update(): these are derived facts, not user edits; they must not flood the audit history.
    Client.objects.filter(pk=client_id).update(
        last_contact_at=latest,
        contact_due_on=contact_due_on(
            last_contact_at=latest,
            cadence_days=client.contact_cadence_days,
            fallback=client.contract_start or client.created_at.date(),
        ),
    )
    contact_ids = list(contact_ids)
    if contact_ids:
        newest = live.filter(contacts=OuterRef("pk")).order_by("-occurred_at").values("occurred_at")[:1]
        Contact.objects.filter(pk__in=contact_ids).update(last_contacted_at=Subquery(newest))


@transaction.atomic
def interaction_log(
    *,
    client: Client,
    by: User,
    kind: str,
    occurred_at: dt.datetime,
    summary: str,
    contacts: Iterable[Contact] = (),
    **fields: Any,
) -> Interaction:
    if not client_can_edit(user=by, client=client):
        raise NotAllowedError(_("You can view this client but not log interactions on it."))
    return _interaction_create(
        client=client, author=by, by=by, kind=kind, occurred_at=occurred_at, summary=summary, contacts=contacts,
        **fields,
    )  # fmt: skip


def _interaction_create(
    *, client: Client, author: User, by: User | None, kind: str, occurred_at: dt.datetime, summary: str,
    contacts: Iterable[Contact], **fields: Any,
) -> Interaction:  # fmt: skip
    unknown = set(fields) - INTERACTION_FIELDS
    if unknown:
        raise ApplicationError(_("Unknown interaction fields: %(fields)s.") % {"fields": ", ".join(sorted(unknown))})
    contacts = list(contacts)
    _validate_interaction(client=client, occurred_at=occurred_at, summary=summary, contacts=contacts)
    interaction = Interaction(
        client=client, author=author, kind=kind, occurred_at=occurred_at, summary=summary.strip(), **fields
    )
    interaction.full_clean(exclude=["client", "author"])
    save_audited(interaction, by=by)
    interaction.contacts.set(contacts)
    refresh_contact_facts(client_id=client.pk, contact_ids=[c.pk for c in contacts])
    mentions_publish(interaction, by=by)
    if interaction.kind in CONTACT_KINDS:
        events.publish(CONTACT_LOGGED, interaction=interaction, by=by)
    return interaction


@transaction.atomic
def interaction_record_captured(
    *,
    client: Client,
    author: User,
    by: User | None,
    kind: str,
    occurred_at: dt.datetime,
    summary: str,
    contacts: Iterable[Contact] = (),
    **fields: Any,
) -> Interaction:
    """A touch the product captured itself (an e-mail read from a mailbox, an uploaded .eml), logged like any other
    so last contact and cadence follow. Its author is the colleague who wrote or received it: someone who sees the
    client, possibly without editing it (a teammate in copy). ``by`` is who made the capture happen (None: a task).
    """
    if not client_can_view(user=author, client=client):
        raise NotAllowedError(_("The author of a captured interaction must be able to see the client."))
    return _interaction_create(
        client=client, author=author, by=by, kind=kind, occurred_at=occurred_at, summary=summary, contacts=contacts,
        **fields,
    )  # fmt: skip


@transaction.atomic
def interaction_update(
    *,
    interaction: Interaction,
    by: User,
    expected_version: int | None,
    contacts: Iterable[Contact] | None = None,
    **changes: Any,
) -> Interaction:
    if not interaction_can_edit(user=by, interaction=interaction):
        raise NotAllowedError(_("Only the author or the team lead can change this interaction."))
    unknown = set(changes) - INTERACTION_FIELDS
    if unknown:
        raise ApplicationError(_("Unknown interaction fields: %(fields)s.") % {"fields": ", ".join(sorted(unknown))})
    current = lock_for_update(Interaction, interaction.pk, expected_version)
    if current.deleted_at is not None:
        raise ApplicationError(_("This interaction was deleted."))
    before = set(current.contacts.values_list("pk", flat=True))
    text_before = mention_text(current)
    for key, value in changes.items():
        setattr(current, key, value)
    new_contacts = list(contacts) if contacts is not None else list(current.contacts.all())
    _validate_interaction(
        client=current.client, occurred_at=current.occurred_at, summary=current.summary, contacts=new_contacts
    )
    current.summary = current.summary.strip()
    current.version += 1
    current.full_clean(exclude=["client", "author"])
    save_audited(current, by=by)
    if contacts is not None:
        current.contacts.set(new_contacts)
    refresh_contact_facts(client_id=current.client_id, contact_ids=before | {c.pk for c in new_contacts})
    mentions_publish(current, by=by, before=text_before)
    if current.kind in CONTACT_KINDS:
        events.publish(CONTACT_LOGGED, interaction=current, by=by)
    return current


@transaction.atomic
def interaction_delete(*, interaction: Interaction, by: User) -> Interaction:
    """Soft delete: it leaves the timeline and the last-contact facts, and stays in the audit history."""
    if not interaction_can_edit(user=by, interaction=interaction):
        raise NotAllowedError(_("Only the author or the team lead can delete this interaction."))
    current = lock_for_update(Interaction, interaction.pk, None)
    if current.deleted_at is None:
        current.deleted_at = timezone.now()
        current.version += 1
        save_audited(current, by=by)
        refresh_contact_facts(client_id=current.client_id, contact_ids=current.contacts.values_list("pk", flat=True))
    return current


# --- follow-ups --------------------------------------------------------------------------------


def _check_dates(*, is_commitment: bool, due_date: dt.date | None, promised_date: dt.date | None) -> None:
    if due_date is None:
        raise ApplicationError(_("Give the internal due date."), field="due_date")
    if promised_date is not None and not is_commitment:
        raise ApplicationError(_("Only a commitment to the client has a promised date."), field="promised_date")
    if promised_date is not None and promised_date < due_date:
        raise ApplicationError(
            _("The date promised to the client cannot be before our internal due date."), field="promised_date"
        )


def _check_owner(*, client: Client, owner: User) -> None:
    if not owner.is_active:
        raise ApplicationError(_("The owner is not an active user."), field="owner")
    if owner.role in {Role.ACCOUNT_MANAGER, Role.TEAM_LEAD} and client.team_id and owner.team_id != client.team_id:
        raise ApplicationError(_("The owner must work in the client's team."), field="owner")


@transaction.atomic
def interaction_log_with_followup(
    *,
    client: Client,
    by: User,
    followup: dict[str, Any] | None = None,
    followup_origin: str = FollowUpOrigin.INTERACTION,
    **interaction_fields: Any,
) -> tuple[Interaction, FollowUp | None]:
    """Log a touch and, when the form asked for one, its follow-up: both or neither (the quick log, the
    flag page, My day)."""
    interaction = interaction_log(client=client, by=by, **interaction_fields)
    created = None
    if followup:
        created = followup_create(client=client, by=by, interaction=interaction, origin=followup_origin, **followup)
    return interaction, created


@transaction.atomic
def followup_create(
    *,
    client: Client,
    by: User,
    title: str,
    due_date: dt.date,
    owner: User | None = None,
    is_commitment: bool = False,
    promised_date: dt.date | None = None,
    notes: str = "",
    origin: str = FollowUpOrigin.MANUAL,
    interaction: Interaction | None = None,
    handoff: Handoff | None = None,
) -> FollowUp:
    if not client_can_edit(user=by, client=client):
        raise NotAllowedError(_("You can view this client but not add follow-ups to it."))
    if not (title or "").strip():
        raise ApplicationError(_("Say what has to be done."), field="title")
    _check_dates(is_commitment=is_commitment, due_date=due_date, promised_date=promised_date)
    owner = owner or client.owner or by
    _check_owner(client=client, owner=owner)
    if interaction is not None and interaction.client_id != client.pk:
        raise ApplicationError(_("The interaction belongs to another client."), field="interaction")
    if interaction is not None and origin == FollowUpOrigin.MANUAL:
        origin = FollowUpOrigin.INTERACTION
    followup = FollowUp(
        client=client,
        owner=owner,
        title=title.strip(),
        notes=notes,
        due_date=due_date,
        is_commitment=is_commitment,
        promised_date=promised_date,
        origin=origin,
        interaction=interaction,
        handoff=handoff,
        created_by=by,
    )
    followup.full_clean(exclude=["client", "owner", "interaction", "handoff", "created_by"])
    save_audited(followup, by=by)
    return followup


def followups_from_handoff(handoff: Handoff, by: User) -> list[FollowUp]:
    """Hook run by clients.services.handoff_accept: each sales commitment becomes the new AM's follow-up."""
    client = handoff.client
    owner = client.owner or by
    today = timezone.localdate()
    created = []
    for item in handoff.commitments or []:
        if FollowUp.objects.filter(handoff=handoff, title=item["text"]).exists():
            continue  # accepting is idempotent
        promised = dt.date.fromisoformat(item["due_date"]) if item.get("due_date") else None
        due = promised or today + dt.timedelta(days=DEFAULT_COMMITMENT_DAYS)
        followup = FollowUp(
            client=client,
            owner=owner,
            title=item["text"],
            due_date=min(due, promised) if promised else due,
            is_commitment=True,
            promised_date=promised,
            origin=FollowUpOrigin.HANDOFF,
            handoff=handoff,
            created_by=by,
            # Written once, in the language of whoever accepts the handoff: it becomes the follow-up's notes.
            notes=(
                _("Promised by %(seller)s during the sale (%(deal)s).")
                % {"seller": handoff.created_by, "deal": handoff.deal_name}
                if handoff.created_by
                else _("Promised by sales during the sale (%(deal)s).") % {"deal": handoff.deal_name}
            ),
        )
        save_audited(followup, by=by)
        created.append(followup)
    return created


def _require_open(followup: FollowUp) -> None:
    if followup.status != FollowUpStatus.OPEN:
        if followup.status == FollowUpStatus.DONE:
            raise ApplicationError(_("This follow-up is already done."))
        raise ApplicationError(_("This follow-up is already cancelled."))


@transaction.atomic
def followup_complete(*, followup: FollowUp, by: User) -> FollowUp:
    if not followup_can_edit(user=by, followup=followup):
        raise NotAllowedError(_("This follow-up is not yours to close."))
    current = lock_for_update(FollowUp, followup.pk, None)
    _require_open(current)
    current.status = FollowUpStatus.DONE
    current.completed_at = timezone.now()
    current.version += 1
    save_audited(current, by=by)
    events.publish(FOLLOWUP_CLOSED, followup=current, by=by)
    return current


@transaction.atomic
def followups_complete_many(*, followups: Iterable[FollowUp], by: User) -> int:
    """Bulk 'mark done' from the follow-ups page; all or nothing."""
    done = 0
    for followup in followups:
        if followup.status == FollowUpStatus.OPEN:
            followup_complete(followup=followup, by=by)
            done += 1
    return done


@transaction.atomic
def followup_reschedule(
    *,
    followup: FollowUp,
    by: User,
    due_date: dt.date,
    promised_date: dt.date | None = None,
    reason: str = "",
    expected_version: int | None = None,
) -> FollowUp:
    if not followup_can_edit(user=by, followup=followup):
        raise NotAllowedError(_("This follow-up is not yours to reschedule."))
    current = lock_for_update(FollowUp, followup.pk, expected_version)
    _require_open(current)
    if not current.is_commitment:
        promised_date = None
    elif promised_date is None:
        promised_date = current.promised_date
    _check_dates(is_commitment=current.is_commitment, due_date=due_date, promised_date=promised_date)
    if promised_date != current.promised_date and current.promised_date and not (reason or "").strip():
        raise ApplicationError(
            _("Moving a date promised to the client needs a reason (and a word to the client)."), field="reason"
        )
    if due_date == current.due_date and promised_date == current.promised_date:
        return current
    DueDateChange.objects.create(
        followup=current,
        old_due_date=current.due_date,
        new_due_date=due_date,
        old_promised_date=current.promised_date,
        new_promised_date=promised_date,
        reason=(reason or "").strip()[:500],
        changed_by=by,
    )
    current.due_date = due_date
    current.promised_date = promised_date
    current.version += 1
    save_audited(current, by=by)
    return current


@transaction.atomic
def followup_cancel(*, followup: FollowUp, by: User, reason: str) -> FollowUp:
    if not followup_can_edit(user=by, followup=followup):
        raise NotAllowedError(_("This follow-up is not yours to cancel."))
    if not (reason or "").strip():
        raise ApplicationError(_("Say why it is cancelled."), field="reason")
    current = lock_for_update(FollowUp, followup.pk, None)
    _require_open(current)
    current.status = FollowUpStatus.CANCELLED
    current.cancel_reason = reason.strip()
    current.version += 1
    save_audited(current, by=by)
    events.publish(FOLLOWUP_CLOSED, followup=current, by=by)
    return current


# --- renewal checkpoints -------------------------------------------------------------------------


@transaction.atomic
def renewal_checkpoints_create(*, today: dt.date, days: Iterable[int] | None = None) -> int:
    """Each open renewal's checkpoints (120/90/60 days before it is due) become follow-ups of the client's AM,
    origin "renewal", so they show on My day like any follow-up. Idempotent: one per renewal and checkpoint (a
    unique constraint), and only the latest checkpoint already reached is created (a renewal opened 80 days out
    gets its 90-day one, not three at once). Checkpoints of renewals that closed are cancelled."""
    from django.conf import settings
    from django.utils.translation import gettext as _

    from contracts.models import CLOSED_STAGES, Renewal

    checkpoints = sorted(set(days or settings.RENEWAL_CHECKPOINT_DAYS), reverse=True)
    if not checkpoints:
        return 0
    open_renewals = (
        Renewal.objects.exclude(stage__in=CLOSED_STAGES)
        .filter(
            due_on__gte=today,
            due_on__lte=today + dt.timedelta(days=checkpoints[0]),
            client__archived_at__isnull=True,
            client__owner__isnull=False,
        )
        .select_related("client", "contract")
        .order_by("pk")
    )
    existing = set(
        FollowUp.objects.filter(renewal__in=open_renewals, checkpoint_days__isnull=False).values_list(
            "renewal_id", "checkpoint_days"
        )
    )
    created = 0
    for renewal in open_renewals:
        days_left = (renewal.due_on - today).days
        reached = [n for n in checkpoints if days_left <= n]
        if not reached:
            continue
        latest = reached[-1]  # earlier checkpoints that were missed are not created late
        if (renewal.pk, latest) in existing:
            continue
        followup = FollowUp(
            client=renewal.client,
            owner=renewal.client.owner,
            title=_("Renewal of %(contract)s in %(days)s days: check the forecast and the next step")
            % {"contract": renewal.contract.number, "days": latest},
            notes=_("Renewal due on %(day)s.") % {"day": renewal.due_on.isoformat()},
            due_date=max(renewal.due_on - dt.timedelta(days=latest), today),
            origin=FollowUpOrigin.RENEWAL,
            renewal=renewal,
            checkpoint_days=latest,
        )
        save_audited(followup, by=None)
        created += 1
    # Renewals that closed: their open checkpoints have nothing left to check.
    stale = FollowUp.objects.select_for_update().filter(
        origin=FollowUpOrigin.RENEWAL, status=FollowUpStatus.OPEN, renewal__stage__in=CLOSED_STAGES
    )
    for followup in stale:
        followup.status = FollowUpStatus.CANCELLED
        followup.cancel_reason = _("The renewal closed.")
        followup.version += 1
        save_audited(followup, by=None)
    return created


@transaction.atomic
def followups_create_many(*, clients: Iterable[Client], by: User, title: str, due_date: dt.date) -> list[FollowUp]:
    """The same follow-up on every selected client (each owned by its client's AM), or on none: a client the user
    may not edit refuses the whole selection."""
    return [followup_create(client=client, by=by, title=title, due_date=due_date) for client in clients]


def followups_follow_owner(
    *, client: Client, previous_owner_id: int | None, new_owner_id: int, by: User, move_followups: bool = True, **_: Any
) -> int:
    """Hook run by clients.services.client_update when a client changes owner: the previous owner's open follow-ups
    of that client go to the new owner (unless the lead chose to leave them), each change in the audit history."""
    if not move_followups or previous_owner_id is None or previous_owner_id == new_owner_id:
        return 0
    new_owner = User.objects.get(pk=new_owner_id)
    moved = 0
    for followup in FollowUp.objects.select_for_update().filter(
        client=client, owner_id=previous_owner_id, status=FollowUpStatus.OPEN
    ):
        followup.owner = new_owner
        followup.version += 1
        save_audited(followup, by=by)
        moved += 1
    return moved
