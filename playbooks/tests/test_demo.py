"""`make run`'s demo world has an onboarding, a renewal and a save playbook, each with runs in progress."""

import pytest

from dashboards.demo_data import seed_demo
from playbooks.models import PlaybookRun, RunStatus, StepStatus


@pytest.mark.django_db
def test_demo_world_has_playbooks_with_runs_in_progress():
    seed_demo(clients=60, seed=7)
    live = PlaybookRun.objects.filter(status=RunStatus.ACTIVE)
    assert set(live.values_list("playbook__name", flat=True)) == {"Onboarding", "Renewal", "Save plan"}
    assert live.filter(steps__status=StepStatus.DONE).exists()  # some under way, not all at step one
    assert live.filter(playbook__name="Save plan", flag__isnull=False).exists()
