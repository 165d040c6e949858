"""Set-based reads for scoring and for the health pages.

Inputs for many clients are gathered with one grouped query per KPI window (plus
one for 'last'-aggregated KPIs, one for contacts, one for commitments), never one
query per client or per metric.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from clients.models import MANAGED_STATUSES, Client, ClientStatus, ClientStatusChange
from contracts.selectors import BillingFacts, billing_facts_as_of
from core.providers import LAST_REVIEW, providers
from health import scoring
from health.models import HealthModel, HealthScore, RescoreRequest
from interactions.models import FollowUp, FollowUpStatus
from interactions.selectors import last_contacts
from kpis.selectors import kpi_last_dates, kpi_windows, metric_metadata
from kpis.windows import MetricMeta
from users import permissions as rules
from users.models import User


def active_model() -> HealthModel | None:
    return HealthModel.objects.filter(is_active=True).first()


def model_spec(model: HealthModel, metrics: dict[str, MetricMeta] | None = None) -> scoring.ModelSpec:
    return scoring.parse_model(
        model.components, green_min=model.green_min, yellow_min=model.yellow_min, metrics=metrics
    )


def _last_reviews(rows: list[tuple], on_date: dt.date) -> dict[int, dt.date | None]:
    """Each client's last review held on or before ``on_date``: the denormalised ``Client.last_review_on`` when it
    is not later than that day (the usual case, no query), else what the reviews' provider says for that day."""
    found: dict[int, dt.date | None] = {}
    later = []
    for pk, _cadence, last_review, *_rest in rows:
        if last_review is not None and last_review > on_date:
            later.append(pk)
        else:
            found[pk] = last_review
    if later:
        moment = timezone.now()
        for provider in providers(LAST_REVIEW):  # reviews owns the history (core.providers)
            found.update(provider(client_ids=later, day=on_date, moment=moment))
    return found


def _client_filter(client_ids: Sequence[int] | None) -> Q:
    return Q(client_id__in=list(client_ids)) if client_ids is not None else Q()


def score_inputs(
    *,
    on_date: dt.date,
    spec: scoring.ModelSpec,
    client_ids: Sequence[int] | None = None,
    statuses: Sequence[str] = tuple(MANAGED_STATUSES),
) -> list[scoring.ClientInputs]:
    """Everything the formula needs for these clients (default: all live ones) on ``on_date``."""
    clients = Client.objects.filter(archived_at__isnull=True, status__in=list(statuses))
    if client_ids is not None:
        clients = clients.filter(pk__in=list(client_ids))
    clients = list(
        clients.values_list("pk", "contact_cadence_days", "last_review_on", "contract_start", "renewal_date").order_by(
            "pk"
        )
    )
    ids = [row[0] for row in clients]
    scoped = ids if client_ids is not None else None
    windows = kpi_windows(on_date=on_date, needed=spec.metric_windows(), client_ids=scoped)
    last_contact = last_contacts(as_of=on_date, client_ids=scoped)
    freshness: dict[int, dict[str, dt.date]] = {}
    metrics: dict[str, MetricMeta] = {}
    if any(c.kind == scoring.DATA_FRESHNESS for c in spec.components):
        metrics = metric_metadata()
        freshness = kpi_last_dates(on_date=on_date, lookback_days=scoring.FRESHNESS_LOOKBACK_DAYS, client_ids=scoped)
    commitments = {
        row["client_id"]: row
        for row in FollowUp.objects.filter(_client_filter(scoped), status=FollowUpStatus.OPEN, is_commitment=True)
        .values("client_id")
        .annotate(open=Count("id"), overdue=Count("id", filter=Q(due_date__lt=on_date)))
        .order_by()
    }
    reviewed = _last_reviews(clients, on_date)
    billing_kinds = {scoring.PAYMENTS, scoring.CLOSING_DOCUMENTS}
    bills = (
        billing_facts_as_of(client_ids=scoped, day=on_date)
        if any(c.kind in billing_kinds for c in spec.components)
        else {}
    )
    inputs = []
    for pk, cadence, _denormalised, contract_start, renewal in clients:
        last_review = reviewed.get(pk)
        contact = last_contact.get(pk)
        commitment = commitments.get(pk, {})
        bill = bills.get(pk) or BillingFacts()
        inputs.append(
            scoring.ClientInputs(
                client_id=pk,
                metrics=windows.get(pk, {}),
                days_since_contact=contact.days_before(on_date) if contact else None,
                cadence_days=cadence,
                open_commitments=commitment.get("open", 0),
                overdue_commitments=commitment.get("overdue", 0),
                days_since_review=(on_date - last_review).days if last_review else None,
                last_review_on=last_review,
                days_as_client=(on_date - contract_start).days if contract_start else None,
                days_to_renewal=(renewal - on_date).days if renewal else None,
                kpi_freshness=tuple(
                    (metrics[key].name, (on_date - last).days, metrics[key].frequency)
                    for key, last in sorted(freshness.get(pk, {}).items())
                    if key in metrics
                ),
                invoices_issued=bill.invoices_issued,
                invoices_overdue=len(bill.overdue_invoices),
                oldest_overdue_days=max((item[1] for item in bill.overdue_invoices), default=0),
                closing_documents=bill.closing_documents,
                closing_documents_unsigned=len(bill.unsigned_closing_documents),
                oldest_unsigned_days=max((item[1] for item in bill.unsigned_closing_documents), default=0),
            )
        )
    return inputs


def churn_dates() -> dict[int, dt.date]:
    """client -> the day its churn took effect, for the clients whose status is churned.

    The one place the health pages read churn dates from: the dated lifecycle (clients.ClientStatusChange), the
    effective day of the step into 'churned' that is still current (a client who came back and left again counts
    from its latest churn; a back-dated churn counts from the day it took effect, not the day it was recorded).
    One query.
    """
    rows = (
        ClientStatusChange.objects.filter(client__status=ClientStatus.CHURNED)
        .order_by("client_id", "effective_on", "created_at", "pk")
        .values_list("client_id", "status", "effective_on")
    )
    since: dict[int, dt.date | None] = {}
    for client_id, status, effective_on in rows:
        if status != ClientStatus.CHURNED:
            since[client_id] = None  # (still) not churned at this step of its lifecycle
        elif since.get(client_id) is None:
            since[client_id] = effective_on  # the step into 'churned' that is still current
    return {client_id: day for client_id, day in since.items() if day is not None}


# --- pages -------------------------------------------------------------------------------------


def latest_score(*, client: Client) -> HealthScore | None:
    return client.health_scores.select_related("model").order_by("-date").first()


def score_history(*, client: Client, days: int = 180, until: dt.date | None = None) -> QuerySet[HealthScore]:
    queryset = client.health_scores.all()
    if until is not None:
        queryset = queryset.filter(date__lte=until, date__gt=until - dt.timedelta(days=days))
    return queryset.order_by("date").values("date", "score", "band")


def scores_for_user(*, user: User, on_date: dt.date) -> QuerySet[HealthScore]:
    return HealthScore.objects.filter(rules.portfolio_q(user, prefix="client__"), date=on_date)


# --- the health model page ---------------------------------------------------------------------


def live_clients() -> QuerySet[Client]:
    """The clients the morning run scores (the same filter as ``score_inputs`` and the scoring task)."""
    return Client.objects.filter(archived_at__isnull=True, status__in=MANAGED_STATUSES)


def model_versions(*, limit: int = 50) -> QuerySet[HealthModel]:
    return HealthModel.objects.select_related("created_by", "restored_from").order_by("-version")[:limit]


def model_version(*, pk: int) -> HealthModel | None:
    return HealthModel.objects.select_related("created_by", "restored_from").filter(pk=pk).first()


def latest_scored_day() -> dt.date | None:
    return HealthScore.objects.order_by("-date").values_list("date", flat=True).first()


def weight_shares(components: Sequence[dict]) -> list[float | None]:
    """Each component's weight as a percentage of the total weight (None for an empty row)."""
    weights = []
    for component in components:
        try:
            weights.append(max(float(component.get("weight") or 0), 0.0) if component.get("kind") else None)
        except (TypeError, ValueError):
            weights.append(None)
    total = sum(w for w in weights if w is not None)
    return [None if w is None else (100.0 * w / total if total else 0.0) for w in weights]


def client_names(*, client_ids: Sequence[int]) -> dict[int, str]:
    return dict(Client.objects.filter(pk__in=list(client_ids)).values_list("pk", "name"))


@dataclass(frozen=True)
class RescoreProgress:
    request: RescoreRequest
    done: int

    @property
    def total(self) -> int:
        return self.request.clients

    @property
    def finished(self) -> bool:
        return self.done >= self.total

    @property
    def percent(self) -> int:
        return 100 if not self.total else min(100, round(100 * self.done / self.total))


def rescore_progress() -> RescoreProgress | None:
    """The latest re-score request and how many of its clients have a score computed since it was asked. Two
    queries."""
    request = RescoreRequest.objects.select_related("requested_by").first()
    if request is None:
        return None
    done = HealthScore.objects.filter(date=request.on_date, computed_at__gte=request.requested_at).count()
    return RescoreProgress(request=request, done=done)
