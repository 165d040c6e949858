"""Import of sales CRM exports: Salesforce Data Loader opportunities and HubSpot deals.

Every row is checked and applied inside one transaction. If any row is bad, or
on a dry run, the transaction is rolled back: the user gets the report (what
would happen, line by line, and every bad line with its reason) and the
database is exactly as before. Running the same file twice changes nothing.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction

from accounts_crm.errors import ApplicationError
from clients import services
from clients.models import Client, ClientStatus, Handoff
from clients.permissions import client_can_edit, client_can_view
from users import permissions as rules
from users.models import Role, Team, User

MAX_ROWS = 20_000

SALESFORCE = "salesforce"
HUBSPOT = "hubspot"

# Canonical field -> accepted header spellings (compared case- and space-insensitively).
SALESFORCE_HEADERS = {
    "deal_id": ["Id", "Opportunity Id", "OpportunityId", "Opportunity.Id"],
    "account_id": ["AccountId", "Account Id", "Account.Id"],
    "deal_name": ["Opportunity Name", "Opportunity.Name"],
    "stage": ["StageName", "Stage"],
    "amount": ["Amount"],
    "close_date": ["CloseDate", "Close Date"],
    "owner_id": ["OwnerId", "Owner Id", "Opportunity Owner Id"],
    "currency": ["CurrencyIsoCode", "Currency"],
    "account_name": ["Account.Name", "Account Name", "AccountName"],
    "industry": ["Account.Industry", "Industry"],
    "website": ["Account.Website", "Website"],
    "city": ["Account.BillingCity", "BillingCity", "Billing City"],
    "country": ["Account.BillingCountry", "BillingCountry", "Billing Country"],
}
SALESFORCE_REQUIRED = ["deal_id", "account_id", "deal_name", "stage", "amount", "close_date", "account_name"]

HUBSPOT_HEADERS = {
    "deal_id": ["Record ID", "Deal ID", "Deal Id"],
    "deal_name": ["Deal Name"],
    "stage": ["Deal Stage"],
    "amount": ["Amount"],
    "close_date": ["Close Date"],
    "account_name": ["Associated Company", "Associated Company (Primary)", "Company name"],
    "account_id": ["Associated Company IDs", "Associated Company IDs (Primary)", "Company ID"],
    "owner_id": ["Deal owner", "HubSpot Owner ID"],
    "currency": ["Currency"],
    "industry": ["Industry"],
    "website": ["Website URL", "Company Domain Name"],
    "city": ["City"],
    "country": ["Country/Region", "Country"],
}
HUBSPOT_REQUIRED = ["deal_name", "stage", "amount", "close_date", "account_name"]

CLOSED_WON = {"closed won", "closedwon"}


@dataclass
class RowOutcome:
    line: int
    deal: str
    client: str
    client_action: str  # created / updated / unchanged / kept (not yours to change)
    handoff_action: str  # created / unchanged / none (not closed won) / skipped (client already managed)


@dataclass
class ImportReport:
    source: str = ""
    dry_run: bool = True
    rows: list[RowOutcome] = field(default_factory=list)
    errors: list[tuple[int, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def applied(self) -> bool:
        return self.ok and not self.dry_run

    def count(self, attribute: str, value: str) -> int:
        return sum(1 for row in self.rows if getattr(row, attribute) == value)

    @property
    def summary(self) -> dict[str, int]:
        return {
            "rows": len(self.rows),
            "clients_created": self.count("client_action", "created"),
            "clients_updated": self.count("client_action", "updated"),
            "clients_unchanged": self.count("client_action", "unchanged") + self.count("client_action", "kept"),
            "handoffs_created": self.count("handoff_action", "created"),
            "handoffs_unchanged": self.count("handoff_action", "unchanged"),
            "handoffs_skipped": self.count("handoff_action", "skipped"),
            "not_closed_won": self.count("handoff_action", "none"),
            "errors": len(self.errors),
        }


class ImportFileError(Exception):
    """The file as a whole cannot be read (encoding, no header, unknown format)."""


def _norm(header: str) -> str:
    return re.sub(r"[\s_]+", "", header.strip().lower())


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ImportFileError("The file is not UTF-8 or Windows-1252 text. Export it again as CSV (UTF-8).")


def _column_map(headers: list[str]) -> tuple[str, dict[str, int]]:
    """Find the export format and the column index of each canonical field."""
    normalised = [_norm(h) for h in headers]

    def locate(spec: dict[str, list[str]]) -> dict[str, int]:
        found: dict[str, int] = {}
        for key, names in spec.items():
            for name in names:
                if _norm(name) in normalised:
                    found[key] = normalised.index(_norm(name))
                    break
        return found

    if "dealname" in normalised or "dealstage" in normalised:
        return HUBSPOT, locate(HUBSPOT_HEADERS)
    columns = locate(SALESFORCE_HEADERS)
    # A plain Data Loader export names both the opportunity and the account "Name":
    # the first is the opportunity, the second the account.
    name_positions = [i for i, h in enumerate(normalised) if h == "name"]
    if name_positions and "deal_name" not in columns:
        columns["deal_name"] = name_positions[0]
    if len(name_positions) > 1 and "account_name" not in columns:
        columns["account_name"] = name_positions[1]
    return SALESFORCE, columns


def _parse_amount(raw: str) -> Decimal:
    text = re.sub(r"[^\d.,\-]", "", raw or "")
    if re.fullmatch(r"-?\d{1,3}(,\d{3})+(\.\d+)?", text):
        text = text.replace(",", "")
    try:
        value = Decimal(text)
    except InvalidOperation as exc:
        raise ValueError(f"Amount {raw!r} is not a number.") from exc
    if not value.is_finite() or value < 0:
        raise ValueError(f"Amount {raw!r} must be zero or more.")
    if value >= Decimal("1e12"):
        raise ValueError(f"Amount {raw!r} is implausibly large.")
    return value.quantize(Decimal("0.01"))


def _parse_date(raw: str) -> dt.date:
    text = (raw or "").strip()
    for parser in (
        lambda s: dt.date.fromisoformat(s[:10]),
        lambda s: dt.datetime.strptime(s.split(" ")[0], "%m/%d/%Y").date(),
    ):
        try:
            return parser(text)
        except ValueError:
            continue
    raise ValueError(f"Date {raw!r} is not YYYY-MM-DD or MM/DD/YYYY.")


@dataclass(frozen=True)
class ParsedRow:
    line: int
    deal_id: str
    deal_name: str
    account_id: str
    account_name: str
    closed_won: bool
    amount: Decimal
    close_date: dt.date
    currency: str
    owner_id: str
    industry: str
    website: str
    city: str
    country: str


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:40]


def parse_rows(text: str) -> tuple[str, list[ParsedRow], list[tuple[int, str]]]:
    reader = csv.reader(io.StringIO(text))
    try:
        headers = next(reader)
    except StopIteration as exc:
        raise ImportFileError("The file is empty.") from exc
    except csv.Error as exc:
        raise ImportFileError(f"Line 1: {exc}") from exc
    source, columns = _column_map(headers)
    required = HUBSPOT_REQUIRED if source == HUBSPOT else SALESFORCE_REQUIRED
    missing = [key for key in required if key not in columns]
    if missing:
        spec = HUBSPOT_HEADERS if source == HUBSPOT else SALESFORCE_HEADERS
        names = ", ".join(spec[key][0] if key in spec else "Name" for key in missing)
        raise ImportFileError(f"Line 1: missing column(s) {names} for a {source.title()} export.")

    rows: list[ParsedRow] = []
    errors: list[tuple[int, str]] = []
    seen_deals: dict[str, int] = {}
    while True:
        try:
            values = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            errors.append((reader.line_num, f"Unreadable CSV: {exc}"))
            break
        line = reader.line_num
        if not any(v.strip() for v in values):
            continue
        if len(rows) + len(errors) >= MAX_ROWS:
            errors.append((line, f"More than {MAX_ROWS} rows; split the file."))
            break

        def get(key: str, values: list[str] = values) -> str:
            index = columns.get(key)
            return values[index].strip() if index is not None and index < len(values) else ""

        problems: list[str] = []
        deal_name, account_name = get("deal_name"), get("account_name")
        if not deal_name:
            problems.append("deal name is empty")
        if not account_name:
            problems.append("account / company name is empty")
        if len(deal_name) > 200 or len(account_name) > 200:
            problems.append("a name is longer than 200 characters")
        stage = get("stage")
        if not stage:
            problems.append("stage is empty")
        amount = close_date = None
        try:
            amount = _parse_amount(get("amount"))
        except ValueError as exc:
            problems.append(str(exc))
        try:
            close_date = _parse_date(get("close_date"))
        except ValueError as exc:
            problems.append(str(exc))
        account_id = get("account_id") or (f"hubspot-company:{_slug(account_name)}" if source == HUBSPOT else "")
        if not account_id:
            problems.append("AccountId is empty")
        deal_id = get("deal_id") or (
            f"hubspot-deal:{_slug(account_name)}:{_slug(deal_name)}:{close_date}" if source == HUBSPOT else ""
        )
        if not deal_id:
            problems.append("opportunity Id is empty")
        if len(account_id) > 64 or len(deal_id) > 64:
            problems.append("an id is longer than 64 characters")
        currency = (get("currency") or "EUR").upper()
        if not re.fullmatch(r"[A-Z]{3}", currency):
            problems.append(f"currency {currency!r} is not a 3-letter ISO code")
        if deal_id and deal_id in seen_deals:
            problems.append(f"deal {deal_id} already appears on line {seen_deals[deal_id]}")
        if problems:
            errors.append((line, "; ".join(problems).capitalize() + "."))
            continue
        seen_deals[deal_id] = line
        rows.append(
            ParsedRow(
                line=line,
                deal_id=deal_id,
                deal_name=deal_name,
                account_id=account_id,
                account_name=account_name,
                closed_won=stage.strip().lower() in CLOSED_WON,
                amount=amount,
                close_date=close_date,
                currency=currency,
                owner_id=get("owner_id"),
                industry=get("industry")[:100],
                website=get("website")[:200],
                city=get("city")[:100],
                country=get("country")[:100],
            )
        )
    return source, rows, errors


class _Rollback(Exception):
    pass


def import_sales_export(
    *,
    data: bytes,
    by: User,
    dry_run: bool,
    to_team: Team | None = None,
    to_am: User | None = None,
) -> ImportReport:
    """Create/update clients by external id and one handoff per Closed Won deal; all or nothing."""
    report = ImportReport(dry_run=dry_run)
    if not rules.can_import_sales_exports(by):
        report.errors.append((0, "Your role cannot import sales exports."))
        return report
    try:
        source, rows, parse_errors = parse_rows(_decode(data))
    except ImportFileError as exc:
        report.errors.append((1, str(exc)))
        return report
    report.source = source
    report.errors.extend(parse_errors)

    sales_users = {u.sales_crm_id: u for u in User.objects.filter(role=Role.SALES).exclude(sales_crm_id="")}
    try:
        with transaction.atomic():
            for row in rows:
                try:
                    with transaction.atomic():
                        report.rows.append(
                            _apply_row(row, by=by, sales_users=sales_users, to_team=to_team, to_am=to_am)
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


def _apply_row(
    row: ParsedRow, *, by: User, sales_users: dict[str, User], to_team: Team | None, to_am: User | None
) -> RowOutcome:
    client = Client.objects.filter(external_id=row.account_id).select_related("owner", "team").first()
    incoming = {
        "name": row.account_name,
        "industry": row.industry,
        "website": row.website,
        "city": row.city,
        "country": row.country,
    }
    if client is None:
        client = services.prospect_create(
            by=by,
            sales_owner=None if by.role == Role.SALES else sales_users.get(row.owner_id),
            external_id=row.account_id,
            **incoming,
        )
        client_action = "created"
    elif not client_can_view(user=by, client=client):
        raise ApplicationError(f"AccountId {row.account_id} belongs to a client you have no access to.")
    elif not client_can_edit(user=by, client=client):
        client_action = "kept"
    else:
        # Blank cells in the export never wipe what the CRM already knows.
        changes = {k: v for k, v in incoming.items() if v and getattr(client, k) != v}
        if changes:
            services.client_update(client=client, by=by, expected_version=None, **changes)
            client_action = "updated"
        else:
            client_action = "unchanged"

    if not row.closed_won:
        handoff_action = "none"
    elif Handoff.objects.filter(deal_external_id=row.deal_id).exists():
        handoff_action = "unchanged"
    else:
        client.refresh_from_db()
        if (
            client.status not in {ClientStatus.PROSPECT, ClientStatus.HANDOFF_PENDING}
            or client.handoffs.filter(status="pending").exists()
        ):
            handoff_action = "skipped"
        else:
            services.handoff_create(
                by=by,
                client=client,
                deal_name=row.deal_name,
                deal_external_id=row.deal_id,
                deal_amount=row.amount,
                currency=row.currency,
                close_date=row.close_date,
                to_team=to_team,
                to_am=to_am,
            )
            handoff_action = "created"
    return RowOutcome(
        line=row.line,
        deal=row.deal_name,
        client=row.account_name,
        client_action=client_action,
        handoff_action=handoff_action,
    )
