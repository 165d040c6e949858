"""Import of contracts from a Salesforce Contract export (CSV).

Columns (case- and space-insensitive): ContractNumber, AccountId (the client's external id), StartDate,
EndDate and/or ContractTerm (months), Status (Draft, In Approval Process, Activated, or this product's
statuses), an amount column (Amount, ContractValue, TotalContractValue or Value) and optionally Id,
CurrencyIsoCode, CustomerSignedDate, OwnerExpirationNotice (notice days), Type (kind), Description.

The same rules as the sales import (clients/importers.py): a dry run first; every row is applied inside
one transaction that is rolled back if any row is bad (each bad row is named by its line) or on a dry
run; contracts are matched on their number, so the same file twice changes nothing.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from clients.importers import ImportFileError, _decode, _norm, _parse_amount, _parse_date
from clients.models import Client
from clients.permissions import client_can_view
from contracts import services
from contracts.models import Contract, ContractKind, ContractStatus
from contracts.permissions import contract_can_edit_client
from core.errors import ApplicationError
from users import permissions as rules
from users.models import User

MAX_ROWS = 20_000

HEADERS = {
    "number": ["ContractNumber", "Contract Number"],
    "account_id": ["AccountId", "Account Id", "Account.Id"],
    "start": ["StartDate", "Start Date", "Contract Start Date"],
    "end": ["EndDate", "End Date", "Contract End Date"],
    "term": ["ContractTerm", "Contract Term", "Contract Term (months)"],
    "status": ["Status", "StatusCode"],
    "amount": ["Amount", "ContractValue", "Contract Value", "ContractValue__c", "TotalContractValue", "Value"],
    "currency": ["CurrencyIsoCode", "Currency", "Contract Currency"],
    "external_id": ["Id", "Contract Id", "ContractId"],
    "signed": ["CustomerSignedDate", "Customer Signed Date", "SignedDate"],
    "notice": ["OwnerExpirationNotice", "Owner Expiration Notice", "NoticePeriodDays"],
    "kind": ["Type", "Kind", "Contract Type"],
    "description": ["Description"],
}
REQUIRED = ["number", "account_id", "start", "status", "amount"]

# Salesforce's contract statuses (and their status codes) -> this product's.
STATUS_MAP = {
    "draft": ContractStatus.DRAFT,
    "in approval process": ContractStatus.SENT,
    "inapproval": ContractStatus.SENT,
    "activated": ContractStatus.ACTIVE,
    **{value: value for value in ContractStatus.values},
}
KIND_MAP = {
    **{value: value for value in ContractKind.values},
    "expansion": ContractKind.UPSELL,
    "supplementary agreement": ContractKind.AMENDMENT,
}


@dataclass
class RowOutcome:
    line: int
    number: str
    client: str
    action: str  # created / updated / unchanged


@dataclass
class ContractImportReport:
    dry_run: bool = True
    rows: list[RowOutcome] = field(default_factory=list)
    errors: list[tuple[int, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def applied(self) -> bool:
        return self.ok and not self.dry_run

    @property
    def summary(self) -> dict[str, int]:
        count = lambda action: sum(1 for r in self.rows if r.action == action)  # noqa: E731
        return {
            "rows": len(self.rows),
            "created": count("created"),
            "updated": count("updated"),
            "unchanged": count("unchanged"),
            "errors": len(self.errors),
        }


@dataclass(frozen=True)
class ParsedRow:
    line: int
    account_id: str
    values: dict  # contract fields


def _columns(headers: list[str]) -> dict[str, int]:
    normalised = [_norm(h) for h in headers]
    found: dict[str, int] = {}
    for key, names in HEADERS.items():
        for name in names:
            if _norm(name) in normalised:
                found[key] = normalised.index(_norm(name))
                break
    return found


def parse_rows(text: str) -> tuple[list[ParsedRow], list[tuple[int, str]]]:
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        headers = next(reader)
    except StopIteration as exc:
        raise ImportFileError(_("The file is empty.")) from exc
    except csv.Error as exc:
        raise ImportFileError(_("Unreadable CSV header: %(error)s.") % {"error": exc}, line=1) from exc
    columns = _columns(headers)
    missing = [HEADERS[key][0] for key in REQUIRED if key not in columns]
    if missing:
        raise ImportFileError(
            _("Missing column(s) %(names)s for a Salesforce Contract export.") % {"names": ", ".join(missing)}, line=1
        )
    if "end" not in columns and "term" not in columns:
        raise ImportFileError(_("Give EndDate or ContractTerm (months)."), line=1)
    rows: list[ParsedRow] = []
    errors: list[tuple[int, str]] = []
    seen: dict[str, int] = {}
    while True:
        line = reader.line_num + 1
        try:
            values = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            errors.append((line, _("Unreadable CSV from this line on (%(error)s).") % {"error": exc}))
            break
        if not any(v.strip() for v in values):
            continue
        if len(rows) + len(errors) >= MAX_ROWS:
            errors.append((line, _("More than %(max)s rows; split the file.") % {"max": MAX_ROWS}))
            break

        def get(key: str, values: list[str] = values) -> str:
            index = columns.get(key)
            return values[index].strip() if index is not None and index < len(values) else ""

        problems: list[str] = []
        number, account_id = get("number"), get("account_id")
        if not number:
            problems.append(_("ContractNumber is empty"))
        elif len(number) > 64:
            problems.append(_("ContractNumber is longer than 64 characters"))
        elif number in seen:
            problems.append(
                _("contract %(number)s already appears on line %(line)s") % {"number": number, "line": seen[number]}
            )
        if not account_id:
            problems.append(_("AccountId is empty"))
        start = end = signed = None
        try:
            start = _parse_date(get("start"), None)
        except ValueError as exc:
            problems.append(_("StartDate: %(error)s") % {"error": exc})
        if get("end"):
            try:
                end = _parse_date(get("end"), None)
            except ValueError as exc:
                problems.append(_("EndDate: %(error)s") % {"error": exc})
        if get("signed"):
            try:
                signed = _parse_date(get("signed"), None)
            except ValueError as exc:
                problems.append(_("CustomerSignedDate: %(error)s") % {"error": exc})
        term = None
        if get("term"):
            if get("term").isdigit() and 1 <= int(get("term")) <= 600:
                term = int(get("term"))
            else:
                problems.append(_("ContractTerm %(value)r is not a number of months") % {"value": get("term")})
        if start and end and end < start:
            problems.append(_("EndDate is before StartDate"))
        if start and term is None and end is not None:
            term = max(1, round(((end - start).days + 1) / 30.4375))
        if start and term is not None and end is None:
            end = services.term_end(start, term)
        if term is None and end is None and not problems:
            problems.append(_("give EndDate or ContractTerm"))
        status = STATUS_MAP.get(get("status").lower())
        if status is None:
            problems.append(_("Status %(value)r is not a contract status") % {"value": get("status")})
        kind = KIND_MAP.get(get("kind").lower() or ContractKind.NEW)
        if kind is None:
            problems.append(_("Type %(value)r is not a contract kind") % {"value": get("kind")})
        amount, amount_currency = None, ""
        try:
            amount, amount_currency = _parse_amount(get("amount"))
        except ValueError as exc:
            problems.append(str(exc))
        if amount is None and not any("mount" in p for p in problems):
            problems.append(_("the amount is empty"))
        currency = (get("currency") or amount_currency or "EUR").upper()
        if not re.fullmatch(r"[A-Z]{3}", currency):
            problems.append(_("currency %(value)r is not a 3-letter ISO code") % {"value": currency})
        elif amount_currency and amount_currency != currency:
            problems.append(
                _("the amount is in %(a)s but the currency column says %(b)s") % {"a": amount_currency, "b": currency}
            )
        notice = get("notice")
        if notice and not notice.isdigit():
            problems.append(_("OwnerExpirationNotice %(value)r is not a number of days") % {"value": notice})
        if problems:
            message = "; ".join(problems)
            errors.append((line, message[:1].upper() + message[1:] + "."))
            continue
        seen[number] = line
        fields = {
            "number": number,
            "kind": kind,
            "start_date": start,
            "end_date": end,
            "term_months": term,
            "value": amount,
            "currency": currency,
            "status": status,
            "signed_on": signed,
            "notes": get("description"),
        }
        if notice:
            fields["notice_period_days"] = int(notice)
        rows.append(ParsedRow(line=line, account_id=account_id, values=fields))
    return rows, errors


class _Rollback(Exception):
    pass


def import_contracts(*, data: bytes, by: User, dry_run: bool, today: dt.date) -> ContractImportReport:
    """Create or update contracts by number; all or nothing; the same file twice changes nothing."""
    report = ContractImportReport(dry_run=dry_run)
    if not rules.can_manage_contracts(by):
        report.errors.append((0, _("Your role cannot import contracts.")))
        return report
    try:
        rows, parse_errors = parse_rows(_decode(data))
    except ImportFileError as exc:
        report.errors.append((exc.line, exc.message))
        return report
    report.errors.extend(parse_errors)
    clients = {c.external_id: c for c in Client.objects.filter(external_id__in={r.account_id for r in rows})}
    existing = {c.number: c for c in Contract.objects.filter(number__in={r.values["number"] for r in rows})}
    try:
        with transaction.atomic():
            for row in rows:
                try:
                    with transaction.atomic():
                        report.rows.append(
                            _apply(row, by=by, today=today, client=clients.get(row.account_id), existing=existing)
                        )
                except (ApplicationError, ValidationError) as exc:
                    message = exc.message if isinstance(exc, ApplicationError) else " ".join(exc.messages)
                    report.errors.append((row.line, message))
            if report.errors or dry_run:
                raise _Rollback
    except _Rollback:
        pass
    report.errors.sort()
    return report


def _apply(
    row: ParsedRow, *, by: User, today: dt.date, client: Client | None, existing: dict[str, Contract]
) -> RowOutcome:
    if client is None or not client_can_view(user=by, client=client):
        raise ApplicationError(_("AccountId %(id)s is not a client you can see.") % {"id": row.account_id})
    if not contract_can_edit_client(user=by, client=client):
        raise ApplicationError(_("AccountId %(id)s is a client you cannot change.") % {"id": row.account_id})
    number = row.values["number"]
    contract = existing.get(number)
    if contract is None:
        services.contract_create(by=by, client=client, today=today, **row.values)
        return RowOutcome(line=row.line, number=number, client=client.name, action="created")
    if contract.client_id != client.pk:
        raise ApplicationError(
            _("Contract %(number)s belongs to another client than AccountId %(id)s.")
            % {"number": number, "id": row.account_id}
        )
    changes = {k: v for k, v in row.values.items() if v is not None and getattr(contract, k) != _typed(contract, k, v)}
    if not changes:
        return RowOutcome(line=row.line, number=number, client=client.name, action="unchanged")
    services.contract_update(contract=contract, by=by, expected_version=None, today=today, **changes)
    return RowOutcome(line=row.line, number=number, client=client.name, action="updated")


def _typed(contract: Contract, key: str, value):
    if isinstance(getattr(contract, key), Decimal) and not isinstance(value, Decimal):
        return Decimal(value)
    return value


# --- exchange rates ------------------------------------------------------------------------------

RATE_HEADERS = {
    "currency": ["currency", "Currency", "CurrencyIsoCode"],
    "date": ["date", "Date"],
    "rate": ["rate", "Rate"],
}


@dataclass
class RateImportReport:
    dry_run: bool = True
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def rows(self) -> int:
        return self.created + self.updated + self.unchanged


def import_exchange_rates(*, data: bytes, by: User, dry_run: bool) -> RateImportReport:
    """Rows ``currency,date,rate`` (rate = base-currency units per unit); all or nothing, upserted per day."""
    report = RateImportReport(dry_run=dry_run)
    if not rules.can_load_exchange_rates(by):
        report.errors.append((0, _("Only admins load exchange rates.")))
        return report
    try:
        text = _decode(data)
    except ImportFileError as exc:
        report.errors.append((exc.line, exc.message))
        return report
    reader = csv.reader(io.StringIO(text, newline=""))
    headers = [_norm(h) for h in next(reader, [])]
    index = {}
    for key, names in RATE_HEADERS.items():
        found = [headers.index(_norm(n)) for n in names if _norm(n) in headers]
        if not found:
            report.errors.append((1, _("Missing column %(name)s (expected currency, date, rate).") % {"name": key}))
            return report
        index[key] = found[0]
    try:
        with transaction.atomic():
            seen: dict[tuple[str, dt.date], int] = {}
            for values in reader:
                line = reader.line_num
                if not any(v.strip() for v in values):
                    continue
                cell = lambda key, values=values: values[index[key]].strip() if index[key] < len(values) else ""  # noqa: E731
                try:
                    day = _parse_date(cell("date"), None)
                    rate, _code = _parse_amount(cell("rate"))
                    if rate is None:
                        raise ValueError(_("the rate is empty"))
                    rate = Decimal(cell("rate").replace(",", ""))
                    key = (cell("currency").upper(), day)
                    if key in seen:
                        raise ValueError(_("already given on line %(line)s") % {"line": seen[key]})
                    seen[key] = line
                    _row, action = services.exchange_rate_set(by=by, currency=cell("currency"), date=day, rate=rate)
                    setattr(report, action, getattr(report, action) + 1)
                except (ValueError, ArithmeticError) as exc:
                    report.errors.append((line, str(exc)))
                except ApplicationError as exc:
                    report.errors.append((line, exc.message))
            if report.errors or dry_run:
                raise _Rollback
    except _Rollback:
        pass
    return report
