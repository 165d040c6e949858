"""Reads of contracts, renewals and exchange rates, scoped to the user; money conversion and derived revenue."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db.models import Max, Q, QuerySet
from django.utils.translation import gettext as _

from clients.models import Client
from contracts.models import (
    BINDING_STATUSES,
    CLOSED_STAGES,
    UNPAID_STATUSES,
    Contract,
    ContractKind,
    ContractStatus,
    Document,
    DocumentKind,
    ExchangeRate,
    ForecastCall,
    Invoice,
    InvoiceStatus,
    Renewal,
    RenewalStage,
    SignatureStatus,
)
from core.dates import Quarter
from core.formats import format_day, format_money
from core.money import MoneyTotals
from users import permissions as rules
from users.models import User

CENT = Decimal("0.01")


def base_currency() -> str:
    return settings.BASE_CURRENCY


# --- exchange rates and conversion ---------------------------------------------------------------


@dataclass(frozen=True)
class RateUsed:
    currency: str
    rate: Decimal  # units of the base currency per unit of ``currency``
    rate_date: dt.date  # the day of the rate used: the latest on or before the day described


@dataclass(frozen=True)
class Conversion:
    """A total in the base currency, with the rates it used and the currencies it could not convert."""

    base_currency: str
    on_date: dt.date
    totals: MoneyTotals
    converted: Decimal  # the sum of what could be converted
    rates: tuple[RateUsed, ...]
    missing: tuple[str, ...]  # currencies without any rate on or before on_date: never guessed

    @property
    def complete(self) -> bool:
        return not self.missing

    @property
    def amount(self) -> Decimal | None:
        """The total in the base currency; None when a rate is missing (a partial sum would mislead)."""
        return self.converted if self.complete else None

    @property
    def rate_dates(self) -> tuple[dt.date, ...]:
        return tuple(sorted({r.rate_date for r in self.rates}))

    def unconverted(self) -> MoneyTotals:
        return MoneyTotals({c: self.totals[c] for c in self.missing})

    def __str__(self) -> str:
        if not self.complete:
            return _("%(converted)s + %(rest)s (no rate for %(currencies)s on %(day)s)") % {
                "converted": format_money(self.converted, self.base_currency),
                "rest": str(self.unconverted()),
                "currencies": ", ".join(self.missing),
                "day": format_day(self.on_date),
            }
        text = format_money(self.converted, self.base_currency)
        if self.rates:
            used = ", ".join(f"{r.currency} {format_day(r.rate_date)}" for r in self.rates)
            text += " " + _("(rates of %(used)s)") % {"used": used}
        return text


def rate_on(*, currency: str, on_date: dt.date) -> RateUsed | None:
    """The rate of ``currency`` for ``on_date``: the latest one on or before it; None if there is none."""
    code = currency.strip().upper()
    if code == base_currency():
        return RateUsed(currency=code, rate=Decimal(1), rate_date=on_date)
    row = ExchangeRate.objects.filter(currency=code, date__lte=on_date).order_by("-date").first()
    return None if row is None else RateUsed(currency=code, rate=row.rate, rate_date=row.date)


def rates_on(*, currencies: Iterable[str], on_date: dt.date) -> dict[str, RateUsed]:
    """The rates of many currencies for ``on_date`` (each the latest on or before it), in two queries whatever their
    number; a currency without any rate is absent (never guessed), the base currency is 1."""
    codes = {code.strip().upper() for code in currencies}
    base = base_currency()
    found = {base: RateUsed(currency=base, rate=Decimal(1), rate_date=on_date)} if base in codes else {}
    codes.discard(base)
    if not codes:
        return found
    latest = dict(
        ExchangeRate.objects.filter(currency__in=codes, date__lte=on_date)
        .values("currency")
        .annotate(day=Max("date"))
        .values_list("currency", "day")
        .order_by()
    )
    if latest:
        wanted = Q()
        for code, day in latest.items():
            wanted |= Q(currency=code, date=day)
        for row in ExchangeRate.objects.filter(wanted).only("currency", "date", "rate"):
            found[row.currency] = RateUsed(currency=row.currency, rate=row.rate, rate_date=row.date)
    return found


def convert(totals: MoneyTotals, *, on_date: dt.date, rates: dict[str, RateUsed | None] | None = None) -> Conversion:
    """Convert per-currency totals to the base currency with the rates of ``on_date`` (Decimal throughout).

    ``rates``: a cache shared by several conversions of the same day, so each currency's rate is read once."""
    rates = {} if rates is None else rates
    for code in totals:
        if code not in rates:
            rates[code] = rate_on(currency=code, on_date=on_date)
    base = base_currency()
    converted = Decimal(0)
    used: list[RateUsed] = []
    missing: list[str] = []
    for code, amount in totals.items():
        rate = rates[code]
        if rate is None:
            missing.append(code)
            continue
        if code != base:
            used.append(rate)
        converted += amount * rate.rate
    return Conversion(
        base_currency=base,
        on_date=on_date,
        totals=totals,
        converted=converted.quantize(CENT, rounding=ROUND_HALF_UP),
        rates=tuple(used),
        missing=tuple(missing),
    )


def exchange_rates(*, limit: int = 200) -> QuerySet[ExchangeRate]:
    return ExchangeRate.objects.order_by("-date", "currency")[:limit]


# --- derived revenue -----------------------------------------------------------------------------


def annual_value(contract: Contract) -> Decimal:
    """The contract's contribution to ARR: its value over the term, per year; a downsell subtracts."""
    per_year = (contract.value * 12 / contract.term_months).quantize(CENT, rounding=ROUND_HALF_UP)
    return -per_year if contract.kind == ContractKind.DOWNSELL else per_year


def in_force_q(on_date: dt.date, *, prefix: str = "") -> Q:
    """Contracts that count on ``on_date``: agreed, started, not ended, not terminated before that day."""
    p = prefix
    return Q(**{f"{p}status__in": BINDING_STATUSES, f"{p}start_date__lte": on_date, f"{p}end_date__gte": on_date}) & ~Q(
        **{f"{p}terminated_on__lte": on_date}
    )


def revenue_totals(contracts: Iterable[Contract]) -> MoneyTotals:
    return MoneyTotals.of((annual_value(c), c.currency) for c in contracts)


def arr_as_of(
    *, on_date: dt.date, clients: QuerySet[Client] | None = None, client: Client | None = None
) -> MoneyTotals:
    """ARR on ``on_date`` per currency: a query over contract dates, so any past day can be asked."""
    queryset = Contract.objects.filter(in_force_q(on_date)).only("value", "term_months", "kind", "currency")
    if client is not None:
        queryset = queryset.filter(client=client)
    if clients is not None:
        queryset = queryset.filter(client__in=clients)
    return revenue_totals(queryset)


def mrr(arr: MoneyTotals) -> MoneyTotals:
    return MoneyTotals({c: (a / 12).quantize(CENT, rounding=ROUND_HALF_UP) for c, a in arr.items()})


@dataclass(frozen=True)
class ClientRevenue:
    """What a client's contracts say: ARR per currency, the figure kept on the client, start and renewal date."""

    arr: MoneyTotals
    arr_amount: Decimal
    currency: str
    conversion: Conversion | None  # when several currencies had to be converted
    contract_start: dt.date | None
    renewal_date: dt.date | None


def client_revenue(*, client: Client, today: dt.date) -> ClientRevenue | None:
    """None when the client has no agreed contract (its typed figures stay as they are)."""
    contracts = list(
        Contract.objects.filter(client=client, status__in=BINDING_STATUSES).select_related("renewal").order_by("pk")
    )
    if not contracts:
        return None
    arr = revenue_totals(c for c in contracts if in_force_on(c, today))
    conversion = None
    if len(arr) <= 1:
        currency = next(iter(arr), contracts[-1].currency)
        amount = arr.get(currency, Decimal(0))
    else:
        conversion = convert(arr, on_date=today)
        if conversion.complete:
            currency, amount = conversion.base_currency, conversion.converted
        else:  # a missing rate is not guessed: the client keeps its largest currency; the panel shows the rest
            currency = max(arr, key=lambda code: arr[code])
            amount = arr[currency]
    current = [c for c in contracts if c.status != ContractStatus.TERMINATED]
    open_ends = [c.end_date for c in current if c.end_date >= today and not _renewal_closed(c)]
    ends = [c.end_date for c in current]
    renewal = min(open_ends) if open_ends else (max(ends) if ends else None)
    return ClientRevenue(
        arr=arr,
        arr_amount=max(amount, Decimal(0)),
        currency=currency,
        conversion=conversion,
        contract_start=min(c.start_date for c in contracts),
        renewal_date=renewal,
    )


def in_force_on(contract: Contract, day: dt.date) -> bool:
    if contract.status not in BINDING_STATUSES or not (contract.start_date <= day <= contract.end_date):
        return False
    return contract.terminated_on is None or contract.terminated_on > day


def _renewal_closed(contract: Contract) -> bool:
    renewal = getattr(contract, "renewal", None) if hasattr(contract, "renewal") else None
    return renewal is not None and renewal.stage in CLOSED_STAGES


# --- contracts and renewals, scoped --------------------------------------------------------------


def contract_queryset_for_user(*, user: User) -> QuerySet[Contract]:
    return Contract.objects.filter(rules.portfolio_q(user, prefix="client__")).select_related(
        "client", "client__owner", "client__team"
    )


def client_contracts(*, client: Client) -> list[Contract]:
    return list(Contract.objects.filter(client=client).select_related("renewal").order_by("-start_date", "-pk"))


def renewal_queryset_for_user(*, user: User) -> QuerySet[Renewal]:
    return Renewal.objects.filter(rules.portfolio_q(user, prefix="client__")).select_related(
        "contract", "client", "client__owner", "client__team"
    )


@dataclass(frozen=True)
class RenewalMonth:
    month: dt.date  # the first of the month
    renewals: list[Renewal]
    value: MoneyTotals  # ARR renewing that month, per currency
    forecast: MoneyTotals


def renewals_board(
    *,
    user: User,
    today: dt.date,
    owner: int | None = None,
    stage: str = "",
    segment: str = "",
    key_account: bool | None = None,
    include_closed: bool = False,
) -> tuple[list[Renewal], list[RenewalMonth]]:
    """(overdue renewals, the rest grouped by month of their due date); overdue = due before today, still open."""
    queryset = renewal_queryset_for_user(user=user).filter(client__archived_at__isnull=True)
    if owner:
        queryset = queryset.filter(client__owner=owner)
    if stage:
        queryset = queryset.filter(stage=stage)
    elif not include_closed:
        queryset = queryset.exclude(stage__in=CLOSED_STAGES)
    if segment:
        queryset = queryset.filter(client__segment=segment)
    if key_account is not None:
        queryset = queryset.filter(client__is_key_account=key_account)
    renewals = list(queryset.order_by("due_on", "pk"))
    overdue = [r for r in renewals if r.due_on < today and not r.is_closed]
    months: dict[dt.date, list[Renewal]] = {}
    for renewal in renewals:
        if renewal in overdue:
            continue
        months.setdefault(renewal.due_on.replace(day=1), []).append(renewal)
    grouped = [
        RenewalMonth(
            month=month,
            renewals=items,
            value=MoneyTotals.of((annual_value(r.contract), r.contract.currency) for r in items),
            forecast=MoneyTotals.of((r.forecast_amount, r.contract.currency) for r in items),
        )
        for month, items in sorted(months.items())
    ]
    return overdue, grouped


# --- retention -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Retention:
    """Gross and net revenue retention of the clients that had ARR on ``start``, measured on ``end``.

    GRR = Σ min(ARR on end, ARR on start) / Σ ARR on start (churn and downsell only, capped at 100%);
    NRR = Σ ARR on end / Σ ARR on start (expansion counts too). Both days convert with the rates of ``end``
    (constant currency, so exchange moves are not mistaken for churn or growth); a missing rate makes both
    None and names the currency.
    """

    start: dt.date
    end: dt.date
    starting_arr: Decimal | None
    grr: Decimal | None  # a fraction: 0.93 is 93%
    nrr: Decimal | None
    clients: int
    missing: tuple[str, ...]


def retention(*, user: User, start: dt.date, end: dt.date) -> Retention:
    visible = Client.objects.filter(rules.portfolio_q(user))
    contracts = Contract.objects.filter(client__in=visible).filter(in_force_q(start) | in_force_q(end))
    per_client: dict[int, tuple[MoneyTotals, MoneyTotals]] = {}
    for contract in contracts.only("client_id", "value", "term_months", "kind", "currency", "status", "start_date",
                                   "end_date", "terminated_on"):  # fmt: skip
        before, after = per_client.setdefault(contract.client_id, (MoneyTotals(), MoneyTotals()))
        if in_force_on(contract, start):
            before.add(annual_value(contract), contract.currency)
        if in_force_on(contract, end):
            after.add(annual_value(contract), contract.currency)
    currencies = MoneyTotals()
    for before, after in per_client.values():
        currencies = currencies + before + after
    rates = {code: rate_on(currency=code, on_date=end) for code in currencies}
    missing = tuple(sorted(code for code, rate in rates.items() if rate is None))
    if missing:
        return Retention(start, end, None, None, None, len(per_client), missing)

    def in_base(totals: MoneyTotals) -> Decimal:
        return sum((amount * rates[code].rate for code, amount in totals.items()), Decimal(0))

    starting = gross = net = Decimal(0)
    cohort = 0
    for before, after in per_client.values():
        s = in_base(before)
        if s <= 0:
            continue  # a client won during the period is new business, not retention
        cohort += 1
        e = max(in_base(after), Decimal(0))
        starting += s
        gross += min(s, e)
        net += e
    if not starting:
        return Retention(start, end, Decimal(0), None, None, 0, ())
    ratio = Decimal("0.0001")
    return Retention(
        start=start,
        end=end,
        starting_arr=starting.quantize(CENT),
        grr=(gross / starting).quantize(ratio),
        nrr=(net / starting).quantize(ratio),
        clients=cohort,
        missing=(),
    )


# --- invoices and documents ----------------------------------------------------------------------


def invoice_queryset_for_user(*, user: User) -> QuerySet[Invoice]:
    return Invoice.objects.filter(rules.portfolio_q(user, prefix="client__")).select_related(
        "client", "client__owner", "contract"
    )


def overdue_invoice_q(today: dt.date) -> Q:
    """Issued, unpaid and past the due date (whether or not the daily task has marked it yet)."""
    return Q(status__in=UNPAID_STATUSES, due_on__lt=today)


def invoices_for_user(
    *,
    user: User,
    today: dt.date,
    status: str = "",
    overdue: bool = False,
    client_id: int | None = None,
    owner_id: int | None = None,
    sort: str = "due_on",
) -> QuerySet[Invoice]:
    queryset = invoice_queryset_for_user(user=user)
    if status:
        queryset = queryset.filter(status=status)
    if overdue:
        queryset = queryset.filter(overdue_invoice_q(today))
    if client_id:
        queryset = queryset.filter(client_id=client_id)
    if owner_id:
        queryset = queryset.filter(client__owner_id=owner_id)
    order = {"due_on": ["due_on", "pk"], "-due_on": ["-due_on", "-pk"], "amount": ["amount", "pk"],
             "-amount": ["-amount", "-pk"], "number": ["number"], "client": ["client__name", "pk"]}  # fmt: skip
    return queryset.order_by(*order.get(sort, order["due_on"]))


def invoice_totals(invoices: Iterable[Invoice], *, today: dt.date) -> Conversion:
    """Open (unpaid) amount per currency, converted with today's rates; never added raw."""
    open_amounts = MoneyTotals.of((i.amount, i.currency) for i in invoices if i.status in UNPAID_STATUSES)
    return convert(open_amounts, on_date=today)


@dataclass
class BillingFacts:
    """A client's invoices and closing documents as they stood on a day (for the rules and the health score)."""

    invoices_issued: int = 0  # issued by the day (not drafts, not voided)
    overdue_invoices: list[tuple[str, int, str, str]] = field(default_factory=list)  # number, days late, amount, cur.
    closing_documents: int = 0  # sent for signature by the day
    unsigned_closing_documents: list[tuple[str, int]] = field(default_factory=list)  # title, days waiting


def billing_facts_as_of(
    *, client_ids: Iterable[int] | None, day: dt.date, recorded_by: dt.datetime | None = None
) -> dict[int, BillingFacts]:
    """Each client's invoices overdue and closing documents unsigned on ``day``, by their own dates: an invoice is
    overdue on a day after its due date when it was not paid by then; an act waits from the day it was sent for
    signature until the day it was signed. ``recorded_by``: only records entered by that moment (a replay of a
    morning does not read what was typed in later). Voided invoices are left out of every day (their history does
    not say when they were voided). Two queries."""
    invoices = Invoice.objects.exclude(status__in=[InvoiceStatus.DRAFT, InvoiceStatus.VOID]).filter(
        Q(issued_on__isnull=True) | Q(issued_on__lte=day)
    )
    documents = Document.objects.filter(
        kind=DocumentKind.CLOSING,
        signature__in=[SignatureStatus.AWAITING, SignatureStatus.SIGNED],
        awaiting_since__lte=day,
    )
    if client_ids is not None:
        ids = list(client_ids)
        invoices = invoices.filter(client_id__in=ids)
        documents = documents.filter(client_id__in=ids)
    if recorded_by is not None:
        invoices = invoices.filter(created_at__lte=recorded_by)
        documents = documents.filter(created_at__lte=recorded_by)
    facts: dict[int, BillingFacts] = {}
    rows = invoices.order_by("due_on", "number").values_list(
        "client_id", "number", "due_on", "paid_on", "amount", "currency"
    )
    for client_id, number, due_on, paid_on, amount, currency in rows:
        fact = facts.setdefault(client_id, BillingFacts())
        fact.invoices_issued += 1
        if due_on is not None and due_on < day and (paid_on is None or paid_on > day):
            fact.overdue_invoices.append((number, (day - due_on).days, str(amount), currency))
    rows = documents.order_by("awaiting_since", "pk").values_list("client_id", "title", "awaiting_since", "signed_on")
    for client_id, title, awaiting_since, signed_on in rows:
        fact = facts.setdefault(client_id, BillingFacts())
        fact.closing_documents += 1
        if signed_on is None or signed_on > day:
            fact.unsigned_closing_documents.append((title, (day - awaiting_since).days))
    return facts


def document_queryset_for_user(*, user: User) -> QuerySet[Document]:
    return Document.objects.filter(rules.portfolio_q(user, prefix="client__")).select_related(
        "client", "client__owner", "contract", "invoice", "uploaded_by"
    )


def documents_for_user(
    *,
    user: User,
    kind: str = "",
    signature: str = "",
    client_id: int | None = None,
    contract_id: int | None = None,
    owner_id: int | None = None,
    awaiting_days: int | None = None,
    today: dt.date | None = None,
) -> QuerySet[Document]:
    """``awaiting_days``: only documents awaiting a signature for at least that many days (the AM's chase list)."""
    queryset = document_queryset_for_user(user=user)
    if kind:
        queryset = queryset.filter(kind=kind)
    if signature:
        queryset = queryset.filter(signature=signature)
    if client_id:
        queryset = queryset.filter(client_id=client_id)
    if contract_id:
        queryset = queryset.filter(contract_id=contract_id)
    if owner_id:
        queryset = queryset.filter(client__owner_id=owner_id)
    if awaiting_days is not None and today is not None:
        queryset = queryset.filter(
            signature=SignatureStatus.AWAITING, awaiting_since__lte=today - dt.timedelta(days=awaiting_days)
        )
    return queryset.order_by("awaiting_since", "-created_at", "-pk") if signature else queryset


def client_paperwork(*, client: Client, user: User, limit: int = 10) -> dict:
    """The client page's invoices and documents: the newest few of each and what waits (two queries each)."""
    invoices = invoice_queryset_for_user(user=user).filter(client=client).order_by("-issued_on", "-pk")
    documents = document_queryset_for_user(user=user).filter(client=client)
    return {"invoices": list(invoices[:limit]), "documents": list(documents[:limit])}


# --- the renewals board and the portfolio's renewals ---------------------------------------------


@dataclass(frozen=True)
class BoardColumn:
    stage: str
    label: str
    renewals: list[Renewal]
    arr: MoneyTotals  # ARR of the column's renewals, per currency
    converted: Conversion  # the same in the base currency with today's rates


def renewal_board_columns(
    *,
    user: User,
    today: dt.date,
    team_id: int | None = None,
    owner_id: int | None = None,
    quarter: Quarter | None = None,
) -> list[BoardColumn]:
    """Every stage a column; renewals of the clients the user sees, due in ``quarter`` (any, if None); closed
    ones only when due in the chosen quarter (or closed in the last 90 days when no quarter is chosen). Two
    queries plus one per currency for its rate."""
    queryset = renewal_queryset_for_user(user=user).filter(client__archived_at__isnull=True)
    if team_id:
        queryset = queryset.filter(client__team_id=team_id)
    if owner_id:
        queryset = queryset.filter(client__owner_id=owner_id)
    if quarter is not None:
        queryset = queryset.filter(due_on__gte=quarter.start, due_on__lte=quarter.end)
    else:
        queryset = queryset.filter(~Q(stage__in=CLOSED_STAGES) | Q(closed_on__gte=today - dt.timedelta(days=90)))
    by_stage: dict[str, list[Renewal]] = {stage: [] for stage in RenewalStage.values}
    for renewal in queryset.order_by("due_on", "pk"):
        renewal.arr = annual_value(renewal.contract)
        by_stage[renewal.stage].append(renewal)
    rates: dict[str, RateUsed | None] = {}
    columns = []
    for stage, label in RenewalStage.choices:
        items = by_stage[stage]
        arr = MoneyTotals.of((r.arr, r.contract.currency) for r in items)
        columns.append(BoardColumn(stage, label, items, arr, convert(arr, on_date=today, rates=rates)))
    return columns


FORECAST_BUCKETS = (ForecastCall.COMMIT, ForecastCall.BEST_CASE, ForecastCall.PIPELINE)


@dataclass(frozen=True)
class QuarterRenewals:
    """What renews in one quarter, all converted to the base currency with today's rates.

    ``renewing``: ARR of the contracts whose renewal is due in the quarter (open or closed). ``forecast``: per
    AM call (commit, best case, pipeline) the forecast amount (the contract's ARR when the AM gave none).
    ``weighted``: every open renewal's amount times its computed likelihood. ``renewed``: what has already
    closed as renewed or downsold (at its new value, per year).
    """

    quarter: Quarter
    count: int
    renewing: Conversion
    forecast: tuple[tuple[str, str, Conversion], ...]  # (call, label, amount)
    weighted: Conversion
    unweighted: int  # open renewals without a computed likelihood yet (left out of ``weighted``)
    renewed: Conversion


def portfolio_renewals(*, user: User, today: dt.date, owner: User | None = None, team=None) -> list[QuarterRenewals]:
    """This quarter and the next: ARR renewing, the AM's forecast by call, and the pipeline weighted by the
    computed likelihood. One query for the renewals, one per currency for its rate."""
    this = Quarter.containing(today)
    quarters = [this, this.next()]
    queryset = renewal_queryset_for_user(user=user).filter(
        client__archived_at__isnull=True, due_on__gte=quarters[0].start, due_on__lte=quarters[-1].end
    )
    if owner is not None:
        queryset = queryset.filter(client__owner=owner)
    if team is not None:
        queryset = queryset.filter(client__team=team)
    renewals = list(queryset)
    rates: dict[str, RateUsed | None] = {}
    result = []
    for quarter in quarters:
        items = [r for r in renewals if r.due_on in quarter]
        renewing, weighted, renewed = MoneyTotals(), MoneyTotals(), MoneyTotals()
        buckets = {call: MoneyTotals() for call in FORECAST_BUCKETS}
        unweighted = 0
        for r in items:
            currency = r.contract.currency
            arr = annual_value(r.contract)
            renewing.add(arr, currency)
            if r.stage in CLOSED_STAGES:
                if r.stage != "churned" and r.new_value is not None:
                    renewed.add(r.new_value * 12 / r.contract.term_months, currency)
                continue
            amount = r.forecast_amount if r.forecast_amount is not None else arr
            if r.forecast_call in buckets:
                buckets[r.forecast_call].add(amount, currency)
            if r.likelihood is None:
                unweighted += 1
            else:
                weighted.add((amount * r.likelihood / 100).quantize(CENT, rounding=ROUND_HALF_UP), currency)
        result.append(
            QuarterRenewals(
                quarter=quarter,
                count=len(items),
                renewing=convert(renewing, on_date=today, rates=rates),
                forecast=tuple(
                    (call, ForecastCall(call).label, convert(buckets[call], on_date=today, rates=rates))
                    for call in FORECAST_BUCKETS
                ),
                weighted=convert(weighted, on_date=today, rates=rates),
                unweighted=unweighted,
                renewed=convert(renewed, on_date=today, rates=rates),
            )
        )
    return result
