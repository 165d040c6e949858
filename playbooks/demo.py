"""Demo playbooks for `make run`: onboarding, renewal and save plan, with runs in progress (through the services)."""

from __future__ import annotations

import datetime as dt

from clients.models import Client, ClientStatus
from flags.models import Flag, Severity
from playbooks import services
from playbooks.models import Playbook, PlaybookRun, RunStatus, RunStep, StepStatus, Trigger
from users.models import Role, User

ONBOARDING = [
    {"kind": "call", "title": "Kick-off call", "offset_days": 2, "anchor": "start"},
    {
        "kind": "email",
        "title": "Welcome e-mail to the decision maker",
        "contact_role": "decision_maker",
        "email_subject": "Welcome aboard, {client_name}",
        "email_body": "Dear {contact_first_name},\n\nI am {am_name}, your account manager. "
        "I will call you this week to plan the rollout.\n\n{am_name}\n{am_email}",
        "offset_days": 1,
    },
    {"kind": "commitment", "title": "Send the rollout plan", "offset_days": 7},
    {"kind": "task", "title": "Hand over the sales notes", "owner_role": "sales", "offset_days": 3, "anchor": "start"},
    {"kind": "wait", "title": "Let the first month run", "offset_days": 30},
    {"kind": "call", "title": "30-day check-in", "offset_days": 0},
]
RENEWAL = [
    {"kind": "task", "title": "Prepare the value summary", "offset_days": 3, "anchor": "start"},
    {"kind": "call", "title": "Renewal conversation with the decision maker", "offset_days": 7},
    {"kind": "commitment", "title": "Send the renewal offer", "offset_days": 5},
    {"kind": "task", "title": "Lead reviews the offer", "owner_role": "lead", "offset_days": 2},
]
SAVE = [
    {"kind": "call", "title": "Call the champion: what went wrong?", "offset_days": 1, "anchor": "start"},
    {"kind": "task", "title": "Write the save plan with the lead", "owner_role": "lead", "offset_days": 3},
    {"kind": "commitment", "title": "Agree the recovery steps with the client", "offset_days": 7},
    {"kind": "wait", "title": "Two weeks to see the numbers move", "offset_days": 14},
    {"kind": "call", "title": "Follow-up call", "offset_days": 0},
]


def seed(*, today: dt.date) -> int:
    """Three global playbooks and a handful of runs at different stages; returns the runs started."""
    admin = User.objects.filter(role=Role.ADMIN).order_by("pk").first()
    if admin is None or Playbook.objects.exists():
        return 0
    onboarding = services.playbook_create(
        by=admin, name="Onboarding", trigger=Trigger.HANDOFF, steps=ONBOARDING,
        description="From the accepted handoff to the first month's check-in.",
    )  # fmt: skip
    renewal = services.playbook_create(
        by=admin, name="Renewal", trigger=Trigger.RENEWAL, days_before_renewal=90, steps=RENEWAL,
        description="Ninety days before the renewal date.",
    )  # fmt: skip
    save = services.playbook_create(
        by=admin, name="Save plan", trigger=Trigger.CHURN_RISK, steps=SAVE,
        description="A high-severity flag: the client may leave.",
    )  # fmt: skip
    runs = []
    managed = Client.objects.filter(owner__isnull=False, archived_at__isnull=True).select_related(
        "owner", "sales_owner"
    )
    for client in managed.filter(status=ClientStatus.ONBOARDING).order_by("pk")[:6]:
        runs.append(services.playbook_run_start(playbook=onboarding, client=client, by=None, today=today,
                                                because=Trigger.HANDOFF, cause="demo"))  # fmt: skip
    services.renewal_runs_start(today=today)
    runs += list(renewal.runs.order_by("pk")[:20])
    live_flags = Flag.objects.filter(status="open", severity__gte=Severity.HIGH).select_related("client")
    for flag in live_flags.order_by("pk")[:6]:
        if PlaybookRun.objects.filter(playbook=save, client=flag.client, status=RunStatus.ACTIVE).exists():
            continue  # one live save plan per client, whatever its number of flags
        run = services.playbook_run_start(
            playbook=save, client=flag.client, by=None, today=today, because=Trigger.CHURN_RISK,
            cause=f"flag:{flag.pk}", flag=flag,
        )  # fmt: skip
        runs.append(run)
    # Some work already done, so the runs show progress.
    for index, run in enumerate(runs):
        for _ in range(index % 3):
            step = RunStep.objects.filter(run=run, status=StepStatus.ACTIVE).select_related("run", "step").first()
            if step is None or step.step.kind == "email" or run.client.owner is None:
                break
            services.run_step_complete(run_step=step, by=run.client.owner, today=today)
    return len(runs)
