"""The morning digest e-mail per AM: new flags, overdue commitments, clients overdue for contact.

Exactly one per user and day, whatever is repeated (a re-run day, a redelivered task, two last chunks
finishing together): each digest is an outbox row keyed ``digest:<user id>:<date>``, claimed before it is sent.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import ngettext

from clients.models import MANAGED_STATUSES, Client
from core.formats import format_day
from flags.models import EvaluationChunk, Flag, FlagStatus, PushState, RunStatus
from interactions.models import FollowUp, FollowUpStatus
from interactions.notices import commitments_overdue_emit
from notifications.kinds import DIGEST_KINDS, EMAIL_CHANNELS, Kind
from notifications.models import OutboxMessage
from notifications.selectors import channels_for
from notifications.services import outbox_deliver, outbox_enqueue
from users.models import Role, User
from users.preferences import language_of


def queue_digests_if_run_finished(*, chunk_id: int) -> None:
    chunk = EvaluationChunk.objects.select_related("run").get(pk=chunk_id)
    run = chunk.run
    if run.status in {RunStatus.DONE, RunStatus.FAILED} and run.chunks_done >= run.chunks_total:
        from flags import tasks

        transaction.on_commit(lambda: tasks.send_daily_digests.delay(run.date.isoformat()))


def digest_for(*, user: User, on_date: dt.date, sections: set[str] | None = None) -> dict:
    """The digest of ``user``; ``sections`` (kinds of notifications.kinds.DIGEST_KINDS) are the parts they chose
    to get by e-mail (all of them when None)."""
    sections = set(DIGEST_KINDS) if sections is None else sections
    flags = list(
        # What the weekly cap pushed that morning (a flag held back is on the Flags page, not in the mail).
        Flag.objects.filter(assigned_to=user, status=FlagStatus.OPEN, push_state=PushState.PUSHED, pushed_on=on_date)
        .select_related("client")
        .order_by("-severity", "client__name")
    )
    commitments = list(
        FollowUp.objects.filter(owner=user, status=FollowUpStatus.OPEN, is_commitment=True, due_date__lt=on_date)
        .select_related("client")
        .order_by("due_date")[:30]
    )
    overdue_contact = list(
        Client.objects.filter(
            owner=user, archived_at__isnull=True, status__in=MANAGED_STATUSES, contact_due_on__lt=on_date
        ).order_by("contact_due_on")[:30]
    )
    return {
        "user": user,
        "date": on_date,
        "flags": flags if Kind.FLAG_OPENED in sections else [],
        "commitments": commitments if Kind.COMMITMENT_OVERDUE in sections else [],
        "overdue_contact": overdue_contact if Kind.CONTACT_OVERDUE in sections else [],
    }


def digest_key(*, user_id: int, on_date: dt.date) -> str:
    return f"digest:{user_id}:{on_date.isoformat()}"


def digest_subject(*, on_date: dt.date, flags: int) -> str:
    return ngettext(
        "Your accounts on %(day)s: %(count)d new flag",
        "Your accounts on %(day)s: %(count)d new flags",
        flags,
    ) % {"day": format_day(on_date), "count": flags}


@transaction.atomic
def digests_enqueue(*, on_date: dt.date) -> list[int]:
    """The day's digests as outbox rows (one per AM who wants it and has something in it); their ids.

    Idempotent: a user whose digest of that day exists already keeps it (not re-rendered, never sent twice).
    """
    users = list(
        User.objects.filter(is_active=True, role__in=[Role.ACCOUNT_MANAGER, Role.TEAM_LEAD])
        .exclude(email="")
        .order_by("pk")  # the same order everywhere: two runs inserting at once never deadlock
    )
    # Each section follows the user's choice for its kind (notification settings): e-mail or both.
    channels = channels_for(user_ids=[u.pk for u in users], kinds_=DIGEST_KINDS)
    sections = {u.pk: {k for k in DIGEST_KINDS if channels[(u.pk, k)] in EMAIL_CHANNELS} for u in users}
    users = [u for u in users if sections[u.pk]]
    keys = {u.pk: digest_key(user_id=u.pk, on_date=on_date) for u in users}
    existing = dict(OutboxMessage.objects.filter(key__in=keys.values()).values_list("key", "pk"))
    ids = []
    for user in users:
        key = keys[user.pk]
        if key in existing:
            ids.append(existing[key])
            continue
        context = digest_for(user=user, on_date=on_date, sections=sections[user.pk])
        if not (context["flags"] or context["commitments"] or context["overdue_contact"]):
            continue
        with translation.override(language_of(user)):  # written in the reader's language, dates and figures too
            subject = digest_subject(on_date=on_date, flags=len(context["flags"]))
            body = render_to_string("flags/digest_email.txt", context)
        message, _ = outbox_enqueue(
            key=key,
            recipient=user.email,
            subject=subject,
            body=body,
            kick=False,  # delivered right below, by whoever enqueued it; the periodic delivery catches the rest
        )
        ids.append(message.pk)
    return ids


def send_daily_digests(*, on_date: dt.date) -> int:
    """Enqueue the day's digests, then deliver them here; returns how many this call sent.

    Delivery claims each row first, so a second caller at the same moment (or later) sends nothing.
    """
    commitments_overdue_emit(on_date=on_date)  # webhooks: their own outbox rows, sent by their own tasks
    ids = digests_enqueue(on_date=on_date)
    return sum(outbox_deliver(message_id=pk) == "sent" for pk in ids)
