"""The morning digest e-mail per AM: new flags, overdue commitments, clients overdue for contact."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.template.loader import render_to_string

from clients.models import MANAGED_STATUSES, Client
from flags.models import EvaluationChunk, Flag, FlagStatus, RunStatus
from interactions.models import FollowUp, FollowUpStatus
from users.models import Role, User


def queue_digests_if_run_finished(*, chunk_id: int) -> None:
    chunk = EvaluationChunk.objects.select_related("run").get(pk=chunk_id)
    run = chunk.run
    if run.status in {RunStatus.DONE, RunStatus.FAILED} and run.chunks_done >= run.chunks_total:
        from flags import tasks

        transaction.on_commit(lambda: tasks.send_daily_digests.delay(run.date.isoformat()))


def digest_for(*, user: User, on_date: dt.date) -> dict:
    flags = list(
        Flag.objects.filter(assigned_to=user, status=FlagStatus.OPEN, opened_on=on_date)
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
        "flags": flags,
        "commitments": commitments,
        "overdue_contact": overdue_contact,
    }


def send_daily_digests(*, on_date: dt.date) -> int:
    """One e-mail per AM who wants it and has something in it; returns how many were sent."""
    users = User.objects.filter(
        is_active=True, daily_digest=True, role__in=[Role.ACCOUNT_MANAGER, Role.TEAM_LEAD]
    ).exclude(email="")
    messages = []
    for user in users:
        context = digest_for(user=user, on_date=on_date)
        if not (context["flags"] or context["commitments"] or context["overdue_contact"]):
            continue
        body = render_to_string("flags/digest_email.txt", context)
        subject = f"Your accounts on {on_date:%a %d %b}: {len(context['flags'])} new flag(s)"
        messages.append(EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [user.email]))
    if messages:
        get_connection().send_messages(messages)
    return len(messages)
