"""Every read of playbooks a page or endpoint needs: scoped to the user, preloaded, a constant number of queries."""

from __future__ import annotations

from django.db.models import Count, Prefetch, Q, QuerySet

from clients.models import Client
from flags.models import Flag
from playbooks.models import Playbook, PlaybookRun, PlaybookStep, PlaybookVersion, RunStatus, RunStep, StepStatus
from playbooks.permissions import playbook_visibility_q, run_visibility_q
from users.models import User

SORTS = {"name": ("name", "pk"), "-name": ("-name", "-pk"), "updated": ("-updated_at", "pk")}


def playbook_list(*, user: User, trigger: str = "", team: str = "", sort: str = "name") -> QuerySet[Playbook]:
    queryset = (
        Playbook.objects.filter(playbook_visibility_q(user))
        .select_related("team")
        .annotate(live_runs=Count("runs", filter=Q(runs__status=RunStatus.ACTIVE), distinct=True))
    )
    if trigger:
        queryset = queryset.filter(trigger=trigger)
    if team == "global":
        queryset = queryset.filter(team__isnull=True)
    elif team.isdigit():
        queryset = queryset.filter(team_id=int(team))
    return queryset.order_by(*SORTS.get(sort, SORTS["name"]))


def playbook_detail(*, playbook: Playbook) -> dict:
    versions = list(
        PlaybookVersion.objects.filter(playbook=playbook)
        .select_related("created_by")
        .annotate(run_count=Count("runs"))
        .order_by("-number")
    )
    current = next((v for v in versions if v.number == playbook.current_version), None)
    steps = list(PlaybookStep.objects.filter(version=current).order_by("position")) if current else []
    return {"versions": versions, "current": current, "steps": steps, "rules": list(playbook.rules.all())}


def current_steps(*, playbook: Playbook) -> list[PlaybookStep]:
    return list(
        PlaybookStep.objects.filter(version__playbook=playbook, version__number=playbook.current_version).order_by(
            "position"
        )
    )


def _runs() -> QuerySet[PlaybookRun]:
    return PlaybookRun.objects.select_related("playbook", "playbook_version", "client", "flag").prefetch_related(
        Prefetch("steps", queryset=RunStep.objects.select_related("step", "owner", "followup").order_by("position"))
    )


def run_list(*, user: User, status: str = "", playbook_id: int | None = None) -> QuerySet[PlaybookRun]:
    queryset = _runs().filter(run_visibility_q(user))
    if status in RunStatus.values:
        queryset = queryset.filter(status=status)
    if playbook_id:
        queryset = queryset.filter(playbook_id=playbook_id)
    return queryset.order_by("-started_on", "-pk")


def run_with_steps(*, run: PlaybookRun) -> PlaybookRun:
    return _runs().get(pk=run.pk)


def client_runs(*, client: Client, user: User, limit: int = 5) -> list[PlaybookRun]:
    """The client's runs, live ones first, for its page (the caller already checked the client is visible)."""
    runs = _runs().filter(client=client).order_by("status", "-started_on", "-pk")  # "active" sorts first
    return list(runs[:limit])


def flag_runs(*, flag: Flag) -> list[PlaybookRun]:
    return list(_runs().filter(flag=flag).order_by("-started_on", "-pk"))


def startable_playbooks(*, user: User, client: Client) -> QuerySet[Playbook]:
    """Playbooks that may start on this client now: active, global or of its team, without a live run here."""
    live = PlaybookRun.objects.filter(client=client, status=RunStatus.ACTIVE).values("playbook_id")
    queryset = Playbook.objects.filter(is_active=True).filter(Q(team__isnull=True) | Q(team=client.team_id))
    return queryset.exclude(pk__in=live).order_by("name")


def my_open_steps(*, user: User, limit: int = 10) -> list[RunStep]:
    """Steps waiting for this user that are not follow-ups (e-mails to send); follow-ups show on My day already."""
    return list(
        RunStep.objects.filter(
            owner=user, status=StepStatus.ACTIVE, run__status=RunStatus.ACTIVE, followup__isnull=True
        )
        .exclude(step__kind="wait")
        .select_related("run", "run__client", "run__playbook", "step")
        .order_by("due_date", "pk")[:limit]
    )


def progress(run: PlaybookRun) -> dict:
    """Counts from the prefetched steps (no query)."""
    steps = list(run.steps.all())
    closed = sum(1 for s in steps if s.is_closed)
    current = next((s for s in steps if s.status == StepStatus.ACTIVE), None)
    return {
        "total": len(steps),
        "closed": closed,
        "percent": int(100 * closed / len(steps)) if steps else 100,
        "current": current,
    }
