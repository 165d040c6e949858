"""Every write to clients, contacts and handoffs. HTML views and the API call these."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Model
from django.utils import timezone
from django.utils.translation import gettext as _

from clients.cadence import contact_due_on
from clients.commitments import normalise_commitments
from clients.derived import derived_fields
from clients.models import (
    LIFECYCLE_STATUSES,
    SALES_EDITABLE_STATUSES,
    ChurnReason,
    Client,
    ClientStatus,
    ClientStatusChange,
    Contact,
    ContactRole,
    DealKind,
    Handoff,
    HandoffStatus,
    ImportPreview,
    ListScope,
    SavedClientView,
)
from clients.notices import (
    client_assigned_publish,
    handoff_accepted_display,
    handoff_returned_publish,
    handoff_sent_publish,
)
from clients.permissions import (
    client_can_edit,
    client_can_reassign,
    client_can_view,
    handoff_can_decide,
    handoff_can_edit,
)
from clients.readiness import HandoffFacts, Readiness, ReadinessLevel, assess
from core import events
from core.constraints import integrity_error_field
from core.db import advisory_xact_lock
from core.errors import ApplicationError, IdempotencyConflictError, NotAllowedError
from core.formats import format_day
from core.locking import lock_for_update, save_audited
from core.search import phone_digits, phone_e164
from users import permissions as rules
from users.models import Role, Team, User

CLIENT_EDITABLE_FIELDS = {
    "name",
    "external_id",
    "segment",
    "is_key_account",
    "industry",
    "website",
    "city",
    "country",
    "status",
    "arr",
    "currency",
    "contract_start",
    "renewal_date",
    "contact_cadence_days",
    "preferred_channel",
}
CLIENT_ASSIGNMENT_FIELDS = {"owner", "team"}
CONTACT_EDITABLE_FIELDS = {
    "first_name",
    "last_name",
    "job_title",
    "email",
    "phone",
    "role",
    "influence",
    "relationship_strength",
    "reports_to",
    "is_active",
    "left_on",
    "notes",
    "language",
}
HANDOFF_EDITABLE_FIELDS = {
    "kind",
    "description",
    "deal_name",
    "deal_external_id",
    "deal_amount",
    "currency",
    "close_date",
    "scope",
    "goals",
    "success_criteria",
    "stakeholder_notes",
    "commitments",
    "risks",
    "to_am",
    "to_team",
}


# Published inside handoff_accept's transaction with ``handoff`` and ``by``: the apps to the right of
# clients (interactions turns the sales commitments into follow-ups) subscribe in AppConfig.ready(),
# so what they create exists exactly when the acceptance does, and a failure undoes the acceptance.
HANDOFF_ACCEPTED = "clients.handoff_accepted"

# Published inside client_update's transaction when a client changes owner, with ``client``, ``previous_owner_id``,
# ``new_owner_id``, ``by`` and the lead's choices ``move_flags`` and ``move_followups``: interactions moves the open
# follow-ups, flags the open flags (and publishes flags.reassigned).
CLIENT_OWNER_CHANGED = "clients.owner_changed"


def _save(instance: Model, *, by: User | None, fields: list[str] | None = None) -> None:
    if isinstance(instance, Client):
        # The cadence or contract start may have changed: keep the next-contact date in step.
        started = instance.created_at.date() if instance.created_at else timezone.localdate()
        instance.contact_due_on = contact_due_on(
            last_contact_at=instance.last_contact_at,
            cadence_days=instance.contact_cadence_days or 1,
            fallback=instance.contract_start or started,
        )
        if fields is not None:
            fields = [*fields, "contact_due_on"]
    if isinstance(instance, Contact):
        instance.phone_digits = phone_digits(instance.phone)
        instance.phone_e164 = phone_e164(instance.phone)
        if fields is not None:
            fields = [*fields, "phone_digits", "phone_e164"]
    instance.full_clean(exclude=["owner", "sales_owner", "team", "client", "created_by", "decided_by", "to_am"])
    try:
        save_audited(instance, by=by, update_fields=None if fields is None else [*fields, "updated_at"])
    except IntegrityError as exc:
        field, message = integrity_error_field(exc, type(instance))
        if field is None and isinstance(instance, Client) and "external_id" in str(exc):
            field, message = "external_id", _("Another client already has this external id.")
        raise ApplicationError(message, field=field) from exc


def _clean_external_id(value: str | None) -> str | None:
    value = (value or "").strip()
    return value or None


# --- clients -----------------------------------------------------------------------------------


@transaction.atomic
def client_create(*, by: User, name: str, owner: User | None = None, team: Team | None = None, **fields: Any) -> Client:
    """A new client from the page or the API. Sales add a prospect they own (owner and team are ignored);
    an AM or lead takes it into their own team; an admin assigns it freely."""
    if not rules.can_add_clients(by):
        raise NotAllowedError(_("Your role cannot create clients."))
    unknown = set(fields) - CLIENT_EDITABLE_FIELDS
    if unknown:
        raise ApplicationError(_("Unknown client fields: %(fields)s.") % {"fields": ", ".join(sorted(unknown))})
    client = Client(name=name.strip(), **fields)
    client.external_id = _clean_external_id(client.external_id)
    if by.role == Role.SALES:
        client.sales_owner = by
        client.status = ClientStatus.PROSPECT
    elif by.role in {Role.ACCOUNT_MANAGER, Role.TEAM_LEAD}:
        # An AM or lead adding a client directly takes it into their own team.
        client.owner = owner if (owner and by.role == Role.TEAM_LEAD) else by
        client.team = by.team
        if client.status in SALES_EDITABLE_STATUSES:
            client.status = ClientStatus.ONBOARDING
    else:
        client.owner = owner
        client.team = team or (owner.team if owner else None)
    if client.owner and client.owner.team_id and client.team_id and client.owner.team_id != client.team_id:
        raise ApplicationError(_("The owner must belong to the client's team."), field="owner")
    _save(client, by=by)
    _status_record(client, previous="", by=by)
    if client.owner_id and client.owner_id != by.pk:
        client_assigned_publish(client, by=by)
    return client


@transaction.atomic
def prospect_create(*, by: User, name: str, sales_owner: User | None = None, **fields: Any) -> Client:
    """A client sales is still working on (imports, handoff API); sales owns it until a handoff is accepted."""
    if not rules.can_create_prospects(by):
        raise NotAllowedError(_("Only sales, team leads and admins create prospects."))
    unknown = set(fields) - CLIENT_EDITABLE_FIELDS
    if unknown:
        raise ApplicationError(_("Unknown client fields: %(fields)s.") % {"fields": ", ".join(sorted(unknown))})
    fields["status"] = ClientStatus.PROSPECT
    client = Client(name=name.strip(), **fields)
    client.external_id = _clean_external_id(client.external_id)
    client.sales_owner = sales_owner or (by if by.role == Role.SALES else None)
    if by.role == Role.TEAM_LEAD:
        client.team = by.team
    _save(client, by=by)
    _status_record(client, previous="", by=by)
    return client


@transaction.atomic
def client_update(
    *,
    client: Client,
    by: User,
    expected_version: int | None,
    move_flags: bool = True,
    move_followups: bool = True,
    **changes: Any,
) -> Client:
    """Change a client. A new owner takes over the client's open flags and open follow-ups of the previous owner
    unless the lead unticks ``move_flags`` / ``move_followups``."""
    if not client_can_edit(user=by, client=client):
        raise NotAllowedError(_("You can view this client but not change it."))
    unknown = set(changes) - CLIENT_EDITABLE_FIELDS - CLIENT_ASSIGNMENT_FIELDS
    if unknown:
        raise ApplicationError(_("Unknown client fields: %(fields)s.") % {"fields": ", ".join(sorted(unknown))})
    current = lock_for_update(
        Client,
        client.pk,
        expected_version,
        allowed=lambda row: client_can_edit(user=by, client=row),
        refusal=_("You can view this client but not change it."),
    )

    previous_owner_id = current.owner_id
    assignment = {key: changes.pop(key) for key in list(changes) if key in CLIENT_ASSIGNMENT_FIELDS}
    assignment = {k: v for k, v in assignment.items() if getattr(current, f"{k}_id") != (v.pk if v else None)}
    if assignment:
        cleared = [key for key, value in assignment.items() if value is None]
        if cleared:
            # Silently keeping the old owner would tell the user "saved" for a change that never happened.
            raise ApplicationError(
                _("A client cannot be left without an owner: choose another one instead.")
                if cleared[0] == "owner"
                else _("A client cannot be left without a team: choose another one instead."),
                field=cleared[0],
            )
        _apply_assignment(current, by=by, **assignment)

    if by.role == Role.SALES and changes.get("status", current.status) not in SALES_EDITABLE_STATUSES:
        raise NotAllowedError(_("Sales cannot move a client past the handoff; the account manager does."))
    if "external_id" in changes:
        changes["external_id"] = _clean_external_id(changes["external_id"])
    previous = current.status
    kept_elsewhere = derived_fields(current)
    for key in [k for k in changes if k in kept_elsewhere]:
        if changes[key] != getattr(current, key):
            raise ApplicationError(
                _("%(field)s is derived from the client's contracts; change the contracts instead.")
                % {"field": Client._meta.get_field(key).verbose_name},
                field=key,
            )
        changes.pop(key)
    for key, value in changes.items():
        setattr(current, key, value)
    current.version += 1
    _save(current, by=by)
    if current.status != previous:
        _status_record(current, previous=previous, by=by, reason=_("Status changed on the client form."))
    if "owner" in assignment:
        client_assigned_publish(current, by=by)
    if current.owner_id is not None and current.owner_id != previous_owner_id:
        events.publish(
            CLIENT_OWNER_CHANGED,
            client=current,
            previous_owner_id=previous_owner_id,
            new_owner_id=current.owner_id,
            by=by,
            move_flags=move_flags,
            move_followups=move_followups,
        )
    return current


# --- the lifecycle -------------------------------------------------------------------------------


def _status_record(
    client: Client,
    *,
    previous: str,
    by: User | None,
    effective_on: dt.date | None = None,
    reason: str = "",
    churn_reason: str = "",
    downgraded: bool = False,
    backdated: bool = False,
) -> ClientStatusChange:
    """The dated row of a status change; every path that changes ``Client.status`` ends here."""
    return ClientStatusChange.objects.create(
        client=client,
        status=client.status,
        previous_status=previous,
        effective_on=effective_on or timezone.localdate(),
        reason=reason,
        churn_reason=churn_reason if client.status == ClientStatus.CHURNED else "",
        downgraded=downgraded,
        backdated=backdated,
        changed_by=by,
    )


@transaction.atomic
def client_status_change(
    *,
    client: Client,
    by: User,
    status: str,
    effective_on: dt.date | None = None,
    reason: str = "",
    churn_reason: str = "",
    downgraded: bool = False,
    today: dt.date | None = None,
) -> ClientStatusChange:
    """A dated lifecycle step from the client page or the API: onboarding, active, paused, churned (with its
    reason) or a downgrade (the status stays, ``downgraded`` is set). Only admins back-date (``effective_on``
    before ``today``); the row keeps who did it and when. A step never goes before the last recorded one."""
    today = today or timezone.localdate()
    effective_on = effective_on or today
    if not client_can_edit(user=by, client=client):
        raise NotAllowedError(_("You can view this client but not change its status."))
    if status not in LIFECYCLE_STATUSES:
        raise ApplicationError(_("Choose onboarding, active, paused or churned."), field="status")
    if effective_on > today:
        raise ApplicationError(_("A status change cannot take effect in the future."), field="effective_on")
    backdated = effective_on < today
    if backdated and not by.is_admin_role:
        raise NotAllowedError(_("Only an admin can back-date a status change."))
    churn_reason = (churn_reason or "").strip()
    if status == ClientStatus.CHURNED and churn_reason not in ChurnReason.values:
        raise ApplicationError(_("Say why the client churned."), field="churn_reason")
    if status != ClientStatus.CHURNED:
        churn_reason = ""
    current = Client.objects.select_for_update().get(pk=client.pk)
    if current.status in {ClientStatus.PROSPECT, ClientStatus.HANDOFF_PENDING} and status != ClientStatus.CHURNED:
        raise ApplicationError(_("A prospect becomes a client by accepting its handoff."), field="status")
    if downgraded and status != current.status:
        raise ApplicationError(_("A downgrade keeps the status; record the status change separately."), field="status")
    if not downgraded and status == current.status:
        raise ApplicationError(_("The client already has this status."), field="status")
    last = current.status_changes.order_by("-effective_on").values_list("effective_on", flat=True).first()
    if last is not None and effective_on < last:
        raise ApplicationError(
            _("The last recorded change took effect on %(day)s; this one cannot come before it.")
            % {"day": format_day(last)},
            field="effective_on",
        )
    previous = current.status
    if status != previous:
        current.status = status
        current.version += 1
        _save(current, by=by)
    row = _status_record(
        current,
        previous=previous,
        by=by,
        effective_on=effective_on,
        reason=(reason or "").strip()[:2000],
        churn_reason=churn_reason,
        downgraded=downgraded,
        backdated=backdated,
    )
    client.refresh_from_db()
    return row


def _apply_assignment(client: Client, *, by: User, owner: User | None = None, team: Team | None = None) -> None:
    if not client_can_reassign(user=by, client=client):
        raise NotAllowedError(_("Only the team lead or an admin can reassign this client."))
    new_team = team if team is not None else client.team
    if owner is not None:
        if owner.role not in {Role.ACCOUNT_MANAGER, Role.TEAM_LEAD} or not owner.is_active:
            raise ApplicationError(_("The owner must be an active account manager or team lead."), field="owner")
        if team is None:
            new_team = owner.team
        if owner.team_id != (new_team.pk if new_team else None):
            raise ApplicationError(_("The owner must belong to the client's team."), field="owner")
    elif client.owner_id is not None and client.owner.team_id != (new_team.pk if new_team else None):
        raise ApplicationError(
            _("%(person)s is not in team %(team)s: choose an owner from that team too.")
            % {"person": client.owner, "team": new_team},
            field="owner",
        )
    if not by.is_admin_role and (new_team is None or new_team.pk != by.team_id):
        raise NotAllowedError(_("Team leads reassign clients within their own team only."))
    if owner is not None:
        client.owner = owner
    client.team = new_team


@transaction.atomic
def client_archive(*, client: Client, by: User, expected_version: int | None = None) -> Client:
    if not client_can_edit(user=by, client=client):
        raise NotAllowedError(_("You can view this client but not archive it."))
    current = lock_for_update(
        Client,
        client.pk,
        expected_version,
        allowed=lambda row: client_can_edit(user=by, client=row),
        refusal=_("You can view this client but not archive it."),
    )
    if current.archived_at is None:
        current.archived_at = timezone.now()
        current.version += 1
        _save(current, by=by)
    return current


@transaction.atomic
def client_restore(*, client: Client, by: User) -> Client:
    if not client_can_edit(user=by, client=client):
        raise NotAllowedError(_("You can view this client but not restore it."))
    current = lock_for_update(
        Client,
        client.pk,
        None,
        allowed=lambda row: client_can_edit(user=by, client=row),
        refusal=_("You can view this client but not restore it."),
    )
    if current.archived_at is not None:
        current.archived_at = None
        current.version += 1
        _save(current, by=by)
    return current


# --- contacts ----------------------------------------------------------------------------------


def _check_reports_to(contact: Contact, reports_to: Contact | None) -> None:
    if reports_to is None:
        return
    if reports_to.client_id != contact.client_id:
        raise ApplicationError(_("'Reports to' must be a contact of the same client."), field="reports_to")
    seen = {contact.pk}
    cursor: Contact | None = reports_to
    while cursor is not None:
        if cursor.pk in seen:
            raise ApplicationError(_("That would make a reporting loop."), field="reports_to")
        seen.add(cursor.pk)
        cursor = cursor.reports_to


@transaction.atomic
def contact_create(*, client: Client, by: User, first_name: str, **fields: Any) -> Contact:
    if not client_can_edit(user=by, client=client):
        raise NotAllowedError(_("You can view this client but not change its contacts."))
    unknown = set(fields) - CONTACT_EDITABLE_FIELDS
    if unknown:
        raise ApplicationError(_("Unknown contact fields: %(fields)s.") % {"fields": ", ".join(sorted(unknown))})
    contact = Contact(client=client, first_name=first_name.strip(), **fields)
    _check_reports_to(contact, contact.reports_to)
    if not contact.is_active and contact.left_on is None:
        contact.left_on = timezone.localdate()
    _save(contact, by=by)
    return contact


@transaction.atomic
def contact_update(*, contact: Contact, by: User, expected_version: int | None, **changes: Any) -> Contact:
    if not client_can_edit(user=by, client=contact.client):
        raise NotAllowedError(_("You can view this client but not change its contacts."))
    unknown = set(changes) - CONTACT_EDITABLE_FIELDS
    if unknown:
        raise ApplicationError(_("Unknown contact fields: %(fields)s.") % {"fields": ", ".join(sorted(unknown))})
    current = lock_for_update(
        Contact,
        contact.pk,
        expected_version,
        allowed=lambda row: client_can_edit(user=by, client=row.client),
        refusal=_("You can view this client but not change its contacts."),
    )
    if "reports_to" in changes:
        _check_reports_to(current, changes["reports_to"])
    was_active = current.is_active
    for key, value in changes.items():
        setattr(current, key, value)
    if "left_on" in changes and current.is_active and current.left_on:
        current.clean()  # both "left on" and "still at the client": refused on the field, not silently cleared
    if was_active and not current.is_active and current.left_on is None:
        current.left_on = timezone.localdate()
    if current.is_active:
        current.left_on = None
    current.version += 1
    _save(current, by=by)
    return current


# --- handoffs ----------------------------------------------------------------------------------


def handoff_readiness(handoff: Handoff, *, today: dt.date | None = None) -> Readiness:
    """Readiness of a saved handoff; uses prefetched stakeholders when present."""
    stakeholders = list(handoff.stakeholders.all()) if handoff.pk else []
    return assess(
        HandoffFacts(
            deal_amount=handoff.deal_amount,
            close_date=handoff.close_date,
            goals=handoff.goals,
            success_criteria=handoff.success_criteria,
            scope=handoff.scope,
            risks=handoff.risks,
            commitments_count=len(handoff.commitments or []),
            stakeholders_count=len(stakeholders),
            has_decision_maker=any(c.role == ContactRole.DECISION_MAKER for c in stakeholders),
            has_recipient=bool(handoff.to_am_id or handoff.to_team_id),
            today=today or timezone.localdate(),
        )
    )


def _check_handoff_target(*, to_am: User | None, to_team: Team | None) -> None:
    if to_am is not None and (to_am.role not in {Role.ACCOUNT_MANAGER, Role.TEAM_LEAD} or not to_am.is_active):
        raise ApplicationError(_("Hand off to an active account manager or team lead."), field="to_am")
    if to_am is not None and to_team is not None and to_am.team_id != to_team.pk:
        raise ApplicationError(
            _("%(person)s is not in team %(team)s.") % {"person": to_am, "team": to_team}, field="to_am"
        )


def _set_stakeholders(handoff: Handoff, stakeholders: list[Contact] | None) -> None:
    if stakeholders is None:
        return
    foreign = [c for c in stakeholders if c.client_id != handoff.client_id]
    if foreign:
        raise ApplicationError(_("Stakeholders must be contacts of the handed-off client."), field="stakeholders")
    handoff.stakeholders.set(stakeholders)


@transaction.atomic
def handoff_create(
    *,
    by: User,
    client: Client,
    deal_name: str,
    deal_external_id: str | None = None,
    stakeholders: list[Contact] | None = None,
    commitments: list | None = None,
    **fields: Any,
) -> tuple[Handoff, bool]:
    """Send a closed deal to an AM or a team. Idempotent on ``deal_external_id``: returns (handoff, created)."""
    deal_external_id = _clean_external_id(deal_external_id)
    if deal_external_id:
        existing = Handoff.objects.filter(deal_external_id=deal_external_id).first()
        if existing is not None:
            if existing.created_by_id != by.pk and not by.is_admin_role:
                raise ApplicationError(
                    _("A handoff for this deal id already exists and was sent by someone else."),
                    field="deal_external_id",
                )
            return existing, False
    if not (by.is_admin_role or by.role in {Role.SALES, Role.TEAM_LEAD}):
        raise NotAllowedError(_("Only sales, team leads and admins send handoffs."))
    # Lock the client: two senders (UI and API, or two imports) must not both see "no pending handoff".
    current_client = Client.objects.select_for_update().get(pk=client.pk)
    expansion = fields.get("kind") == DealKind.EXPANSION
    if expansion:
        # Another won deal of a client sales already handed over: it goes to the client's AM (or waits
        # for the first handoff); the client itself is not handed over again.
        if not client_can_view(user=by, client=current_client):
            raise NotAllowedError(_("You cannot report a deal on this client."))
        if current_client.status not in SALES_EDITABLE_STATUSES and current_client.owner_id:
            fields["to_am"], fields["to_team"] = current_client.owner, current_client.team
        elif first := current_client.handoffs.filter(status=HandoffStatus.PENDING, kind=DealKind.NEW).first():
            fields["to_am"], fields["to_team"] = first.to_am, first.to_team  # decided by whoever takes the client
    else:
        if not client_can_edit(user=by, client=current_client):
            raise NotAllowedError(_("You cannot hand off this client."))
        if current_client.handoffs.filter(status=HandoffStatus.PENDING, kind=DealKind.NEW).exists():
            raise ApplicationError(_("This client already has a pending handoff; edit that one instead."))
        if current_client.status not in SALES_EDITABLE_STATUSES:
            raise ApplicationError(_("This client already has an account manager."))
    unknown = set(fields) - HANDOFF_EDITABLE_FIELDS
    if unknown:
        raise ApplicationError(_("Unknown handoff fields: %(fields)s.") % {"fields": ", ".join(sorted(unknown))})
    _check_handoff_target(to_am=fields.get("to_am"), to_team=fields.get("to_team"))
    handoff = Handoff(
        client=client,
        deal_name=deal_name.strip(),
        deal_external_id=deal_external_id,
        commitments=_commitments(commitments),
        created_by=by,
        **fields,
    )
    _save(handoff, by=by)
    _set_stakeholders(handoff, stakeholders)
    if not expansion:
        sales_owner = current_client.sales_owner or (by if by.role == Role.SALES else None)
        _client_status(client, ClientStatus.HANDOFF_PENDING, by=by, sales_owner=sales_owner)
    handoff_sent_publish(handoff, by=by)
    return handoff, True


@dataclass(frozen=True)
class DealReceipt:
    """What receiving a deal did: to the client (created / updated / unchanged / kept) and the handoff
    (created / unchanged when the same deal came again / skipped with a reason / none for an open deal)."""

    client: Client | None
    client_action: str
    handoff: Handoff | None
    handoff_action: str
    skipped_because: str = ""

    @property
    def created(self) -> bool:
        return self.handoff_action in {"created", "expansion"}


# Deals are only handed off while the client is still with sales.
_RECEIVING_STATUSES = {ClientStatus.PROSPECT, ClientStatus.HANDOFF_PENDING}


@transaction.atomic
def deal_receive(
    *,
    by: User,
    deal_name: str,
    deal_external_id: str | None = None,
    closed_won: bool = True,
    client: Client | None = None,
    client_external_id: str | None = None,
    client_name: str | None = None,
    client_fields: dict[str, Any] | None = None,
    sales_owner: User | None = None,
    **handoff_fields: Any,
) -> DealReceipt:
    """A deal from sales, the one way in for the handoff form, the API and the CRM-export import.

    The client is the one given, or the one with ``client_external_id``, or a new prospect made from
    ``client_name`` and ``client_fields``; known clients get the non-blank ``client_fields`` that changed
    (blank cells never wipe what the CRM knows; ``client_name`` alone never renames a client). A
    closed-won deal becomes a handoff, idempotently on ``deal_external_id``: the same deal again returns
    the first handoff. A deal for a client that already has an account
    manager, or a pending handoff, is skipped with the reason (the API answers it as an error).
    """
    client_fields = {k: v for k, v in (client_fields or {}).items() if v not in (None, "")}
    deal_external_id = _clean_external_id(deal_external_id)
    received_as = _canonical_deal(
        deal_name=deal_name,
        client_external_id=_clean_external_id(client_external_id),
        client_name=client_name,
        **handoff_fields,
    )
    if deal_external_id:
        # Parallel retries of one deal wait for each other here; the first creates, the rest find it.
        advisory_xact_lock("deal", deal_external_id)
    existing = Handoff.objects.filter(deal_external_id=deal_external_id).first() if deal_external_id else None
    handoff = None
    if existing is not None:  # the same deal again: the first handoff stands (if it is this sender's)
        handoff, _created = handoff_create(
            by=by, client=existing.client, deal_name=deal_name, deal_external_id=deal_external_id, **handoff_fields
        )
        _check_same_deal(existing, received_as)
        client = existing.client
    client_action = "unchanged"
    if client is None:
        external_id = _clean_external_id(client_external_id)
        client = Client.objects.filter(external_id=external_id).first() if external_id else None
        if client is None and not closed_won:
            # A lost or still-open deal of an unknown account is sales' pipeline: no client is made.
            return DealReceipt(client=None, client_action="skipped", handoff=None, handoff_action="none")
        if client is None:
            name = client_fields.pop("name", "") or client_name or ""
            if not name.strip():
                raise ApplicationError(
                    _("Name the client (client_name) or give an existing client."), field="client_name"
                )
            client = prospect_create(
                by=by, name=name, external_id=external_id, sales_owner=sales_owner, **client_fields
            )
            client_action = "created"
            client_fields = {}
    if client_action != "created":
        if not client_can_view(user=by, client=client):
            raise NotAllowedError(
                _("External id %(id)s belongs to a client you have no access to.") % {"id": client.external_id},
                field="client_external_id",
            )
        if not client_can_edit(user=by, client=client):
            client_action = "kept"
        else:
            changes = {k: v for k, v in client_fields.items() if k != "name" or v != client.name}
            changes = {k: v for k, v in changes.items() if getattr(client, k) != v}
            if changes:
                client = client_update(client=client, by=by, expected_version=None, **changes)
                client_action = "updated"
    if handoff is not None:
        return DealReceipt(client=client, client_action=client_action, handoff=handoff, handoff_action="unchanged")
    if not closed_won:
        return DealReceipt(client=client, client_action=client_action, handoff=None, handoff_action="none")
    current = Client.objects.select_for_update().get(pk=client.pk)
    # Every won deal is kept: the first one hands the client over; another one of a client already
    # handed over (or waiting for its first handoff) is an expansion for the client's AM.
    already_handed_over = current.status not in _RECEIVING_STATUSES or (
        current.handoffs.filter(status=HandoffStatus.PENDING, kind=DealKind.NEW).exists()
    )
    if client_action == "kept" and not already_handed_over:
        raise NotAllowedError(_("A client with this external id exists and is not yours to hand off."))
    if already_handed_over:
        handoff_fields["kind"] = DealKind.EXPANSION
    handoff, _created = handoff_create(
        by=by, client=current, deal_name=deal_name, deal_external_id=deal_external_id, **handoff_fields
    )
    if deal_external_id:
        Handoff.objects.filter(pk=handoff.pk).update(received_as=received_as)
    action = "expansion" if handoff.kind == DealKind.EXPANSION else "created"
    return DealReceipt(client=current, client_action=client_action, handoff=handoff, handoff_action=action)


def _canonical(value: Any) -> Any:
    if isinstance(value, Model):
        return value.pk
    if isinstance(value, Decimal):
        return str(value.normalize()) if value == value.to_integral() else str(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        items = [_canonical(item) for item in value]
        return items if any(isinstance(item, dict) for item in items) else sorted(items, key=str)
    if isinstance(value, dict):
        return {key: _canonical(item) for key, item in sorted(value.items())}
    if isinstance(value, str):
        return value.strip()
    return value


def _canonical_deal(**params: Any) -> dict[str, Any]:
    """The parameters of a received deal as comparable JSON; absent and empty values are left out."""
    params["commitments"] = _commitments(params.get("commitments")) if params.get("commitments") else None
    return {key: _canonical(value) for key, value in sorted(params.items()) if value not in (None, "", [], {})}


def _check_same_deal(existing: Handoff, received_as: dict[str, Any]) -> None:
    """An idempotency key promises the first answer for the same request: a reuse with other values is refused."""
    if not existing.received_as:
        return  # received before the product kept the first request; nothing to compare with
    # Compared on what this request sends: the same deal may come through the API and, with fewer
    # columns, through a CRM export.
    differs = sorted(key for key, value in received_as.items() if existing.received_as.get(key) != value)
    if differs:
        raise IdempotencyConflictError(
            _(
                "Deal %(deal)s was already received with other values (%(fields)s); send the same values to retry,"
                " or change the handoff itself."
            )
            % {"deal": existing.deal_external_id, "fields": ", ".join(differs)},
            field="deal_external_id",
        )


def _commitments(items: list | None) -> list[dict]:
    try:
        return normalise_commitments(items or [])
    except ValidationError as exc:
        raise ApplicationError(" ".join(exc.messages), field="commitments") from exc


def _client_status(client: Client, status: str, *, by: User, reason: str = "", **extra: Any) -> None:
    current = Client.objects.select_for_update().get(pk=client.pk)
    previous = current.status
    current.status = status
    for key, value in extra.items():
        setattr(current, key, value)
    current.version += 1
    _save(current, by=by)
    if status != previous:
        _status_record(current, previous=previous, by=by, reason=reason)
    client.refresh_from_db()


@transaction.atomic
def handoff_update(
    *,
    handoff: Handoff,
    by: User,
    expected_version: int | None,
    stakeholders: list[Contact] | None = None,
    **changes: Any,
) -> Handoff:
    if not handoff_can_edit(user=by, handoff=handoff):
        raise NotAllowedError(_("This handoff can no longer be changed by you."))
    unknown = set(changes) - HANDOFF_EDITABLE_FIELDS
    if unknown:
        raise ApplicationError(_("Unknown handoff fields: %(fields)s.") % {"fields": ", ".join(sorted(unknown))})
    current = lock_for_update(
        Handoff,
        handoff.pk,
        expected_version,
        allowed=lambda row: handoff_can_edit(user=by, handoff=row),
        refusal=_("This handoff can no longer be changed by you."),
    )
    if "commitments" in changes:
        changes["commitments"] = _commitments(changes["commitments"])
    if "deal_external_id" in changes:
        changes["deal_external_id"] = _clean_external_id(changes["deal_external_id"])
    _check_handoff_target(to_am=changes.get("to_am", current.to_am), to_team=changes.get("to_team", current.to_team))
    for key, value in changes.items():
        setattr(current, key, value)
    current.version += 1
    _save(current, by=by)
    _set_stakeholders(current, stakeholders)
    return current


@transaction.atomic
def handoff_resend(*, handoff: Handoff, by: User) -> Handoff:
    """A returned handoff, fixed by sales, goes back to the AM's inbox."""
    if not handoff_can_edit(user=by, handoff=handoff):
        raise NotAllowedError(_("This handoff can no longer be changed by you."))
    current = lock_for_update(
        Handoff,
        handoff.pk,
        None,
        allowed=lambda row: handoff_can_edit(user=by, handoff=row),
        refusal=_("This handoff can no longer be changed by you."),
    )
    if current.status != HandoffStatus.RETURNED:
        raise ApplicationError(_("Only a returned handoff can be sent again."))
    current.status = HandoffStatus.PENDING
    current.decided_by = None
    current.decided_at = None
    current.version += 1
    _save(current, by=by)
    _client_status(current.client, ClientStatus.HANDOFF_PENDING, by=by)
    handoff_sent_publish(current, by=by)
    return current


def _handoff_already_decided(handoff: Handoff) -> str:
    if handoff.status == HandoffStatus.ACCEPTED:
        return _("This handoff is already accepted.")
    return _("This handoff is already returned to sales.")


@transaction.atomic
def handoff_accept(*, handoff: Handoff, by: User, owner: User | None = None) -> Handoff:
    """The AM takes the client: it becomes theirs, onboarding; sales commitments become follow-ups."""
    current = lock_for_update(Handoff, handoff.pk, None)
    if current.status != HandoffStatus.PENDING:
        raise ApplicationError(_handoff_already_decided(current))
    if not handoff_can_decide(user=by, handoff=current):
        raise NotAllowedError(_("This handoff is addressed to someone else."))
    if current.kind == DealKind.EXPANSION and (
        current.client.status in _RECEIVING_STATUSES or current.client.owner_id is None
    ):
        raise ApplicationError(_("Accept the client's first handoff before this expansion."))
    readiness = handoff_readiness(current)
    if readiness.level == ReadinessLevel.BLOCKED:
        raise ApplicationError(_("The handoff is blocked: %(reasons)s") % {"reasons": " ".join(readiness.blocking)})
    if current.kind == DealKind.EXPANSION:
        return _expansion_accept(current, by=by)
    new_owner = owner or current.to_am or by
    if new_owner != by and not (by.is_admin_role or by.role == Role.TEAM_LEAD):
        raise NotAllowedError(_("Only a team lead can accept a handoff on someone else's behalf."))
    if (
        new_owner.role not in {Role.ACCOUNT_MANAGER, Role.TEAM_LEAD}
        or new_owner.team_id is None
        or not new_owner.is_active
    ):
        raise ApplicationError(_("The new owner must be an active account manager in a team."), field="owner")
    if by.role == Role.TEAM_LEAD and new_owner.team_id != by.team_id:
        raise NotAllowedError(_("Team leads assign handoffs within their own team only."))
    current.status = HandoffStatus.ACCEPTED
    current.decided_by = by
    current.decided_at = timezone.now()
    current.return_reason = ""
    current.version += 1
    _save(current, by=by)
    client = current.client
    updates: dict[str, Any] = {"owner": new_owner, "team": new_owner.team}
    if client.contract_start is None and current.close_date:
        updates["contract_start"] = current.close_date
    if (client.arr or Decimal(0)) == 0 and current.deal_amount:
        updates["arr"] = current.deal_amount
        updates["currency"] = current.currency
    _client_status(client, ClientStatus.ONBOARDING, by=by, **updates)
    events.publish(HANDOFF_ACCEPTED, handoff=current, by=by, **handoff_accepted_display(current, by=by))
    if new_owner != by:
        client_assigned_publish(Client.objects.get(pk=current.client_id), by=by)
    return current


def _expansion_accept(current: Handoff, *, by: User) -> Handoff:
    """The AM takes note of another won deal: its commitments become their follow-ups; owner and status stay."""
    client = Client.objects.select_for_update().get(pk=current.client_id)
    if not client_can_edit(user=by, client=client):
        raise NotAllowedError(_("This expansion belongs to another account manager's client."))
    current.status = HandoffStatus.ACCEPTED
    current.decided_by = by
    current.decided_at = timezone.now()
    current.return_reason = ""
    current.version += 1
    _save(current, by=by)
    events.publish(HANDOFF_ACCEPTED, handoff=current, by=by, **handoff_accepted_display(current, by=by))
    return current


@transaction.atomic
def handoff_return(*, handoff: Handoff, by: User, reason: str) -> Handoff:
    """Send the handoff back to sales with what is wrong; the client is a prospect again."""
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError(_("Say why the handoff goes back to sales."), field="reason")
    current = lock_for_update(Handoff, handoff.pk, None)
    if current.status != HandoffStatus.PENDING:
        raise ApplicationError(_handoff_already_decided(current))
    if not handoff_can_decide(user=by, handoff=current):
        raise NotAllowedError(_("This handoff is addressed to someone else."))
    current.status = HandoffStatus.RETURNED
    current.return_reason = reason
    current.decided_by = by
    current.decided_at = timezone.now()
    current.version += 1
    _save(current, by=by)
    _client_status(current.client, ClientStatus.PROSPECT, by=by)
    handoff_returned_publish(current, by=by)
    return current


# --- import previews -----------------------------------------------------------------------------

IMPORT_PREVIEW_LIFETIME = dt.timedelta(minutes=30)


@transaction.atomic
def import_preview_save(
    *,
    by: User,
    data: bytes,
    to_team: Team | None,
    to_am: User | None,
    date_order: str = "",
    now: dt.datetime | None = None,
) -> str:
    """Keep a previewed upload until its confirmation; returns the token the confirmation sends back."""
    now = now or timezone.now()
    ImportPreview.objects.filter(expires_at__lte=now).delete()
    token = uuid.uuid4().hex
    ImportPreview.objects.create(
        token=token,
        user=by,
        data=data,
        to_team=to_team,
        to_am=to_am,
        date_order=date_order,
        expires_at=now + IMPORT_PREVIEW_LIFETIME,
    )
    return token


def import_preview_get(*, by: User, token: str, now: dt.datetime | None = None) -> ImportPreview | None:
    """The user's own unexpired preview with this token, or None (expired, unknown or someone else's)."""
    now = now or timezone.now()
    return (
        ImportPreview.objects.filter(token=str(token)[:32], user=by, expires_at__gt=now)
        .select_related("to_team", "to_am")
        .first()
    )


def import_preview_discard(*, preview: ImportPreview) -> None:
    ImportPreview.objects.filter(pk=preview.pk).delete()


# --- reassigning ---------------------------------------------------------------------------------


@transaction.atomic
def client_reassign(*, client: Client, by: User, owner: User) -> Client:
    """A lead (or admin) gives the client to another AM of the team: the client form's owner change, alone."""
    return client_update(client=client, by=by, expected_version=None, owner=owner)


@transaction.atomic
def clients_reassign(*, clients: list[Client], by: User, owner: User) -> int:
    """Reassign every client of a selection, or none of them: the first refusal undoes the others."""
    changed = 0
    for client in clients:
        if client.owner_id != owner.pk:
            client_reassign(client=client, by=by, owner=owner)
            changed += 1
    return changed


# --- saved views of the client list --------------------------------------------------------------

MAX_SAVED_VIEWS = 50
# What a saved view keeps of the list's query string: its filters, sorting and columns, never the page.
NOT_SAVED_PARAMS = {"page", "csrfmiddlewaretoken", "name", "pinned", "ids"}


def saved_view_query(query: str) -> str:
    """The list's query string without the page (and anything else that is not a filter, sort or column)."""
    from urllib.parse import parse_qsl, urlencode

    pairs = [(k, v) for k, v in parse_qsl(query or "", keep_blank_values=False) if k not in NOT_SAVED_PARAMS]
    return urlencode(pairs)


def _check_saved_view(*, name: str, query: str) -> tuple[str, str]:
    name = (name or "").strip()
    if not name:
        raise ApplicationError(_("Give the view a name."), field="name")
    if len(name) > SavedClientView._meta.get_field("name").max_length:
        raise ApplicationError(_("Keep the name under 80 characters."), field="name")
    query = saved_view_query(query)
    if len(query) > SavedClientView._meta.get_field("query").max_length:
        raise ApplicationError(_("These filters are too long to save; remove some."), field="query")
    return name, query


@transaction.atomic
def saved_view_save(
    *, by: User, name: str, scope: str, query: str, pinned: bool = False
) -> tuple[SavedClientView, bool]:
    """Save the list as it is under ``name``; saving again under a name the user already has replaces that view.
    Returns (view, created)."""
    name, query = _check_saved_view(name=name, query=query)
    if scope not in ListScope.values:
        raise ApplicationError(_("Choose my clients or the team's clients."), field="scope")
    view = SavedClientView.objects.select_for_update().filter(user=by, name__iexact=name).first()
    created = view is None
    if created:
        if SavedClientView.objects.filter(user=by).count() >= MAX_SAVED_VIEWS:
            raise ApplicationError(
                _("You have %(count)d saved views already; delete one first.") % {"count": MAX_SAVED_VIEWS},
                field="name",
            )
        view = SavedClientView(user=by)
    view.name, view.scope, view.query, view.pinned = name, scope, query, pinned
    view.full_clean(exclude=["user"])
    save_audited(view, by=by)
    return view, created


@transaction.atomic
def saved_view_update(
    *,
    view: SavedClientView,
    by: User,
    name: str | None = None,
    query: str | None = None,
    pinned: bool | None = None,
    scope: str | None = None,
) -> SavedClientView:
    if view.user_id != by.pk:
        raise NotAllowedError(_("This view belongs to someone else."))
    current = SavedClientView.objects.select_for_update().get(pk=view.pk)
    new_name, new_query = _check_saved_view(
        name=current.name if name is None else name, query=current.query if query is None else query
    )
    if SavedClientView.objects.filter(user=by, name__iexact=new_name).exclude(pk=current.pk).exists():
        raise ApplicationError(_("You already have a view with this name."), field="name")
    if scope is not None and scope not in ListScope.values:
        raise ApplicationError(_("Choose my clients or the team's clients."), field="scope")
    current.name, current.query = new_name, new_query
    if pinned is not None:
        current.pinned = pinned
    if scope is not None:
        current.scope = scope
    save_audited(current, by=by)
    return current


@transaction.atomic
def saved_view_delete(*, view: SavedClientView, by: User) -> None:
    if view.user_id != by.pk:
        raise NotAllowedError(_("This view belongs to someone else."))
    view._history_user = by
    view.delete()
