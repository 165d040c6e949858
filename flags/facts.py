"""Set-based inputs for trigger rules: one grouped query per kind of fact, for a whole chunk of clients."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence

from clients.models import Client, Contact
from core.dates import Quarter
from flags import rules
from health.models import HealthScore
from interactions.models import FollowUp, FollowUpStatus
from interactions.selectors import last_contacts
from kpis.selectors import kpi_last_dates, kpi_windows
from kpis.windows import FRESHNESS_LOOKBACK_DAYS

MAX_LEFT_DAYS = 365


def rule_inputs(
    *,
    client_ids: Sequence[int],
    on_date: dt.date,
    windows: set[tuple[str, int, int]],
    lookbacks: set[int],
    freshness: bool = False,
) -> list[rules.RuleInputs]:
    """Everything the rules read about these clients on ``on_date``, in a fixed number of queries."""
    ids = list(client_ids)
    clients = list(
        Client.objects.filter(pk__in=ids).values_list(
            "pk", "segment", "team_id", "contact_cadence_days", "renewal_date", "last_review_on"
        )
    )
    metric_windows = kpi_windows(on_date=on_date, needed=windows, client_ids=ids) if windows else {}
    last_contact = last_contacts(as_of=on_date, client_ids=ids)
    wanted_dates = {on_date} | {on_date - dt.timedelta(days=d) for d in lookbacks}
    scores: dict[int, dict[dt.date, float]] = defaultdict(dict)
    for client_id, date, score in HealthScore.objects.filter(client_id__in=ids, date__in=wanted_dates).values_list(
        "client_id", "date", "score"
    ):
        scores[client_id][date] = score
    overdue: dict[int, list[tuple[str, int]]] = defaultdict(list)
    for client_id, title, due in FollowUp.objects.filter(
        client_id__in=ids, status=FollowUpStatus.OPEN, is_commitment=True, due_date__lt=on_date
    ).values_list("client_id", "title", "due_date"):
        overdue[client_id].append((title, (on_date - due).days))
    left: dict[int, list[tuple[str, str, int]]] = defaultdict(list)
    for client_id, first, last, role, left_on in Contact.objects.filter(
        client_id__in=ids,
        is_active=False,
        left_on__isnull=False,
        left_on__lte=on_date,
        left_on__gt=on_date - dt.timedelta(days=MAX_LEFT_DAYS),
    ).values_list("client_id", "first_name", "last_name", "role", "left_on"):
        left[client_id].append((f"{first} {last}".strip(), role, (on_date - left_on).days))
    quarter = Quarter.containing(on_date)
    last_dates = (
        kpi_last_dates(on_date=on_date, lookback_days=FRESHNESS_LOOKBACK_DAYS, client_ids=ids) if freshness else {}
    )
    result = []
    for pk, segment, team_id, cadence, renewal, last_review in clients:
        contact = last_contact.get(pk)
        client_scores = scores.get(pk, {})
        result.append(
            rules.RuleInputs(
                client_id=pk,
                segment=segment,
                team_id=team_id,
                windows=metric_windows.get(pk, {}),
                days_since_contact=contact.days_before(on_date) if contact else None,
                cadence_days=cadence,
                score_today=client_scores.get(on_date),
                scores_before={
                    d: client_scores[on_date - dt.timedelta(days=d)]
                    for d in lookbacks
                    if on_date - dt.timedelta(days=d) in client_scores
                },
                overdue_commitments=tuple(overdue.get(pk, ())),
                days_to_renewal=(renewal - on_date).days if renewal else None,
                reviewed_this_quarter=bool(last_review and quarter.start <= last_review <= on_date),
                stakeholders_left=tuple(left.get(pk, ())),
                kpi_last_seen={key: (on_date - last).days for key, last in last_dates.get(pk, {}).items()},
            )
        )
    return result
