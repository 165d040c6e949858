"""Every read the survey pages and endpoints need, scoped to the user, in a fixed number of queries."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Q, QuerySet

from clients.models import Client
from core.dates import Quarter, start_of_local_day
from surveys import scoring
from surveys.models import Survey, SurveyAnswer, SurveyInvitation, SurveyKind, SurveySchedule
from users import permissions as rules
from users.models import User

ANSWER_ORDERINGS = {"answered_at", "-answered_at", "score", "-score", "contact", "-contact"}
PORTFOLIO_ORDERINGS = {"name", "-name", "nps", "-nps", "csat", "-csat", "rate", "-rate", "answers", "-answers"}
NPS_GROUPS = ("promoter", "passive", "detractor")


def survey_queryset_for_user(*, user: User) -> QuerySet[Survey]:
    """Surveys of the clients ``user`` may see, with how many were asked and how many answered."""
    return (
        Survey.objects.filter(rules.portfolio_q(user, prefix="client__"))
        .select_related("client", "created_by")
        .annotate(
            invited=Count("invitations", distinct=True),
            answered=Count("invitations", filter=Q(invitations__answered_at__isnull=False), distinct=True),
        )
    )


def answer_queryset_for_user(*, user: User) -> QuerySet[SurveyAnswer]:
    return SurveyAnswer.objects.filter(rules.portfolio_q(user, prefix="client__")).select_related(
        "contact", "client", "survey"
    )


def schedule_queryset_for_user(*, user: User) -> QuerySet[SurveySchedule]:
    return (
        SurveySchedule.objects.filter(rules.portfolio_q(user, prefix="client__"))
        .select_related("client")
        .prefetch_related("contacts")
    )


def _quarter_bounds(quarter: Quarter) -> tuple[dt.datetime, dt.datetime]:
    """[start, end) of the quarter in the company's time zone."""
    return start_of_local_day(quarter.start), start_of_local_day(quarter.end + dt.timedelta(days=1))


@dataclass
class KindResult:
    """One kind's figures over a period: the score (None without answers), the NPS groups and the response rate."""

    kind: str
    answers: int = 0
    score: float | None = None
    promoters: int = 0
    passives: int = 0
    detractors: int = 0
    invited: int = 0
    answered: int = 0

    @property
    def rate(self) -> float | None:
        return scoring.response_rate(answered=self.answered, invited=self.invited)

    @property
    def label(self) -> str:
        return SurveyKind(self.kind).label


def _figures(kind: str, counts: dict[int, int]) -> KindResult:
    scores = [score for score, n in counts.items() for _ in range(n)]
    result = KindResult(kind=kind, answers=len(scores))
    if kind == SurveyKind.NPS:
        breakdown = scoring.nps_breakdown(scores)
        result.score = breakdown.score
        result.promoters, result.passives, result.detractors = (
            breakdown.promoters, breakdown.passives, breakdown.detractors
        )  # fmt: skip
    else:
        result.score = scoring.csat(scores)
    return result


def client_results(*, client: Client, quarter: Quarter) -> dict[str, KindResult]:
    """NPS and CSAT of the client over the quarter's answers, and the response rate of the quarter's surveys."""
    counts: dict[str, dict[int, int]] = {kind: defaultdict(int) for kind in SurveyKind.values}
    for kind, score, n in (
        SurveyAnswer.objects.filter(client=client, answered_on__gte=quarter.start, answered_on__lte=quarter.end)
        .values_list("kind", "score")
        .annotate(n=Count("pk"))
    ):
        counts[kind][score] += n
    results = {kind: _figures(kind, counts[kind]) for kind in SurveyKind.values}
    start, end = _quarter_bounds(quarter)
    for kind, invited, answered in (
        SurveyInvitation.objects.filter(survey__client=client, survey__sent_at__gte=start, survey__sent_at__lt=end)
        .values_list("survey__kind")
        .annotate(invited=Count("pk"), answered=Count("pk", filter=Q(answered_at__isnull=False)))
    ):
        results[kind].invited, results[kind].answered = invited, answered
    return results


def client_answers(
    *, client: Client, quarter: Quarter | None = None, kind: str = "", group: str = "", ordering: str = "-answered_at"
) -> QuerySet[SurveyAnswer]:
    """The client's answers (of the quarter, if given), newest first (or as sorted), optionally of one kind and one
    NPS group."""
    answers = SurveyAnswer.objects.filter(client=client).select_related("contact", "survey")
    if quarter is not None:
        answers = answers.filter(answered_on__gte=quarter.start, answered_on__lte=quarter.end)
    if kind in SurveyKind.values:
        answers = answers.filter(kind=kind)
    if group == "promoter":
        answers = answers.filter(kind=SurveyKind.NPS, score__gte=scoring.PROMOTER_FROM)
    elif group == "detractor":
        answers = answers.filter(kind=SurveyKind.NPS, score__lte=scoring.DETRACTOR_UP_TO)
    elif group == "passive":
        answers = answers.filter(
            kind=SurveyKind.NPS, score__gt=scoring.DETRACTOR_UP_TO, score__lt=scoring.PROMOTER_FROM
        )
    ordering = ordering if ordering in ANSWER_ORDERINGS else "-answered_at"
    sort = {"contact": ["contact__last_name", "contact__first_name"]}.get(ordering.lstrip("-"), [ordering.lstrip("-")])
    descending = ordering.startswith("-")
    return answers.order_by(*[f"-{f}" if descending else f for f in sort], "-pk")


def client_surveys(*, client: Client) -> QuerySet[Survey]:
    return (
        Survey.objects.filter(client=client)
        .select_related("created_by")
        .annotate(
            invited=Count("invitations", distinct=True),
            answered=Count("invitations", filter=Q(invitations__answered_at__isnull=False), distinct=True),
        )
        .order_by("-sent_at", "-pk")
    )


def survey_invitations(*, survey: Survey) -> list[SurveyInvitation]:
    return list(
        survey.invitations.select_related("contact", "answer").order_by("contact__last_name", "contact__first_name")
    )


@dataclass
class PortfolioRow:
    client: Client
    nps: KindResult = field(default_factory=lambda: KindResult(kind=SurveyKind.NPS))
    csat: KindResult = field(default_factory=lambda: KindResult(kind=SurveyKind.CSAT))

    @property
    def invited(self) -> int:
        return self.nps.invited + self.csat.invited

    @property
    def answered(self) -> int:
        return self.nps.answered + self.csat.answered

    @property
    def answers(self) -> int:
        return self.nps.answers + self.csat.answers

    @property
    def rate(self) -> float | None:
        return scoring.response_rate(answered=self.answered, invited=self.invited)


@dataclass
class Portfolio:
    rows: list[PortfolioRow]
    totals: dict[str, KindResult]


def _sort_key(ordering: str):
    name = ordering.lstrip("-")

    def key(row: PortfolioRow):
        value = {
            "name": row.client.name.lower(),
            "nps": row.nps.score,
            "csat": row.csat.score,
            "rate": row.rate,
            "answers": row.answers,
        }[name]
        return (value is None, value if value is not None else 0, row.client.name.lower())

    return key


def portfolio_results(
    *,
    user: User,
    quarter: Quarter,
    owner_id: int | None = None,
    search: str = "",
    detractors_only: bool = False,
    ordering: str = "name",
) -> Portfolio:
    """Per client the user may see and that was surveyed or answered in the quarter: NPS, CSAT, response rate; and
    the same over all of them. Three queries whatever the portfolio's size."""
    scope = rules.portfolio_q(user, prefix="client__")
    answers = SurveyAnswer.objects.filter(scope, answered_on__gte=quarter.start, answered_on__lte=quarter.end)
    start, end = _quarter_bounds(quarter)
    invitations = SurveyInvitation.objects.filter(
        rules.portfolio_q(user, prefix="survey__client__"), survey__sent_at__gte=start, survey__sent_at__lt=end
    )
    if owner_id:
        answers = answers.filter(client__owner_id=owner_id)
        invitations = invitations.filter(survey__client__owner_id=owner_id)
    if search:
        answers = answers.filter(client__name__icontains=search)
        invitations = invitations.filter(survey__client__name__icontains=search)
    counts: dict[int, dict[str, dict[int, int]]] = defaultdict(lambda: {k: defaultdict(int) for k in SurveyKind.values})
    all_counts: dict[str, dict[int, int]] = {k: defaultdict(int) for k in SurveyKind.values}
    for client_id, kind, score, n in answers.values_list("client_id", "kind", "score").annotate(n=Count("pk")):
        counts[client_id][kind][score] += n
        all_counts[kind][score] += n
    invited: dict[tuple[int, str], tuple[int, int]] = {}
    for client_id, kind, asked, answered in invitations.values_list("survey__client_id", "survey__kind").annotate(
        asked=Count("pk"), answered=Count("pk", filter=Q(answered_at__isnull=False))
    ):
        invited[(client_id, kind)] = (asked, answered)
    ids = set(counts) | {client_id for client_id, _kind in invited}
    clients = Client.objects.filter(pk__in=ids).select_related("owner") if ids else Client.objects.none()
    totals = {kind: _figures(kind, all_counts[kind]) for kind in SurveyKind.values}
    rows = []
    for client in clients:
        row = PortfolioRow(client=client)
        for kind in SurveyKind.values:
            result = _figures(kind, counts[client.pk][kind]) if client.pk in counts else KindResult(kind=kind)
            result.invited, result.answered = invited.get((client.pk, kind), (0, 0))
            totals[kind].invited += result.invited
            totals[kind].answered += result.answered
            setattr(row, kind, result)
        if detractors_only and not row.nps.detractors:
            continue
        rows.append(row)
    ordering = ordering if ordering in PORTFOLIO_ORDERINGS else "name"
    rows.sort(key=_sort_key(ordering))
    if ordering.startswith("-"):
        # Descending, but clients without a figure stay at the end.
        known = [r for r in rows if _sort_key(ordering)(r)[0] is False]
        rows = list(reversed(known)) + [r for r in rows if r not in known]
    return Portfolio(rows=rows, totals=totals)


# --- facts for the flags' rule (registered with flags.facts in SurveysConfig.ready) ----------------------------------

ANSWER_LOOKBACK_DAYS = 365


def nps_answers_as_of(
    *, client_ids, day: dt.date, moment: dt.datetime, cache: dict | None = None
) -> dict[int, list[tuple[str, int, int]]]:
    """Per client, the NPS answers received on or before ``day`` (and recorded by ``moment``) within a year:
    (contact's name, score, days before ``day``). Point in time: an answer after the day does not exist yet."""
    earliest = day - dt.timedelta(days=ANSWER_LOOKBACK_DAYS)
    if cache is not None:
        if "survey_answers" not in cache:
            cache["survey_answers"] = list(
                SurveyAnswer.objects.filter(client_id__in=cache.get("client_ids", client_ids), kind=SurveyKind.NPS)
                .order_by("answered_at", "pk")
                .values_list("client_id", "contact__first_name", "contact__last_name", "score", "answered_on",
                             "answered_at")
            )  # fmt: skip
        rows = cache["survey_answers"]
    else:
        rows = (
            SurveyAnswer.objects.filter(
                client_id__in=list(client_ids), kind=SurveyKind.NPS, answered_on__gte=earliest, answered_on__lte=day
            )
            .order_by("answered_at", "pk")
            .values_list("client_id", "contact__first_name", "contact__last_name", "score", "answered_on",
                         "answered_at")
        )  # fmt: skip
    wanted = set(client_ids)
    found: dict[int, list[tuple[str, int, int]]] = defaultdict(list)
    for client_id, first, last, score, answered_on, answered_at in rows:
        if client_id in wanted and earliest <= answered_on <= day and answered_at <= moment:
            found[client_id].append((f"{first} {last}".strip(), score, (day - answered_on).days))
    return dict(found)


# --- what the daily task has to do ----------------------------------------------------------------------------------


def schedule_ids_due(*, today: dt.date) -> list[int]:
    return list(
        SurveySchedule.objects.filter(is_active=True, next_on__lte=today, client__archived_at__isnull=True)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def survey_ids_to_remind(*, sent_before: dt.datetime, now: dt.datetime) -> list[int]:
    """Open surveys sent before ``sent_before`` with a contact still at the client who has neither answered nor
    been reminded."""
    return list(
        Survey.objects.filter(
            closed_at__isnull=True,
            closes_at__gt=now,
            sent_at__lte=sent_before,
            invitations__answered_at__isnull=True,
            invitations__reminders_sent=0,
            invitations__contact__is_active=True,
            client__archived_at__isnull=True,
        )
        .distinct()
        .order_by("pk")
        .values_list("pk", flat=True)
    )
