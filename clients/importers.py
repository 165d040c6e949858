"""Import of sales CRM exports: Salesforce Data Loader opportunities and HubSpot deals.

Every row is checked and applied inside one transaction. If any row is bad, or
on a dry run, the transaction is rolled back: the user gets the report (what
would happen, line by line, and every bad line with its reason) and the
database is exactly as before. Running the same file twice changes nothing.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.dateformat import format as date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, pgettext_lazy

from clients import services
from core.errors import ApplicationError
from users import permissions as rules
from users.models import Role, Team, User

MAX_ROWS = 20_000

SALESFORCE = "salesforce"
HUBSPOT = "hubspot"

# Canonical field -> accepted header spellings (compared case- and space-insensitively).
SALESFORCE_HEADERS = {
    "deal_id": ["Id", "Opportunity Id", "OpportunityId", "Opportunity.Id"],
    "account_id": ["AccountId", "Account Id", "Account.Id"],
    "deal_name": ["Opportunity Name", "Opportunity.Name", "Name"],
    "stage": ["StageName", "Stage"],
    "description": ["Description", "Opportunity.Description"],
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

# Labels as HubSpot shows them, then the internal (API) names it exports when asked for them.
HUBSPOT_HEADERS = {
    "deal_id": ["Record ID", "Deal ID", "Deal Id", "hs_object_id"],
    "deal_name": ["Deal Name", "dealname"],
    "stage": ["Deal Stage", "dealstage"],
    "amount": ["Amount", "amount"],
    "close_date": ["Close Date", "closedate"],
    "account_name": ["Associated Company", "Associated Company (Primary)", "Company name", "associatedcompanyname"],
    "account_id": ["Associated Company IDs", "Associated Company IDs (Primary)", "Company ID", "associatedcompanyid"],
    "owner_id": ["Deal owner", "HubSpot Owner ID", "hubspot_owner_id"],
    "currency": ["Currency", "deal_currency_code"],
    "description": ["Deal Description", "Description", "description"],
    "industry": ["Industry"],
    "website": ["Website URL", "Company Domain Name", "domain"],
    "city": ["City"],
    "country": ["Country/Region", "Country"],
}
HUBSPOT_REQUIRED = ["deal_name", "stage", "amount", "close_date", "account_name"]

CLOSED_WON = {"closed won", "closedwon"}

# How slashed dates (03/04/2026) are read: stated by the uploader, or detected from the file's
# unambiguous dates; a file whose slashed dates could be read both ways is refused, naming its rows.
DATE_ORDER_DETECT, DATE_ORDER_DMY, DATE_ORDER_MDY = "", "dmy", "mdy"


@dataclass
class RowOutcome:
    line: int
    deal: str
    client: str
    client_action: str  # created / updated / unchanged / kept (not yours to change) / skipped (only lost or open deals)
    handoff_action: str  # created / expansion (another won deal of the client) / unchanged / none (not closed won)

    @property
    def client_action_label(self) -> str:
        return str(CLIENT_ACTION_LABELS.get(self.client_action, self.client_action))

    @property
    def handoff_action_label(self) -> str:
        return str(HANDOFF_ACTION_LABELS.get(self.handoff_action, self.handoff_action))


# What the import did with a row, as the dry run's "row by row" table says it.
CLIENT_ACTION_LABELS = {
    "created": pgettext_lazy("import: client", "created"),
    "updated": pgettext_lazy("import: client", "updated"),
    "unchanged": pgettext_lazy("import: client", "unchanged"),
    "kept": pgettext_lazy("import: client", "kept (not yours to change)"),
    "skipped": pgettext_lazy("import: client", "skipped (only lost or open deals)"),
}
HANDOFF_ACTION_LABELS = {
    "created": pgettext_lazy("import: handoff", "created"),
    "expansion": pgettext_lazy("import: handoff", "expansion (another won deal of the client)"),
    "unchanged": pgettext_lazy("import: handoff", "unchanged"),
    "skipped": pgettext_lazy("import: handoff", "skipped (client already managed)"),
    "none": pgettext_lazy("import: handoff", "none (not closed won)"),
}


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
            "accounts_skipped": self.count("client_action", "skipped"),
            "handoffs_created": self.count("handoff_action", "created"),
            "expansions_created": self.count("handoff_action", "expansion"),
            "handoffs_unchanged": self.count("handoff_action", "unchanged"),
            "handoffs_skipped": self.count("handoff_action", "skipped"),
            "not_closed_won": self.count("handoff_action", "none"),
            "errors": len(self.errors),
        }


class ImportFileError(Exception):
    """The file as a whole cannot be read (encoding, no header, unknown format).

    ``line`` is 1 when the header is at fault, 0 when the file as a whole is (shown without a line).
    """

    def __init__(self, message: str, *, line: int = 0):
        super().__init__(message)
        self.message = message
        self.line = line


# Leading bytes of files people upload by mistake instead of a CSV export.
_BINARY_SIGNATURES = {
    b"PK\x03\x04": gettext_lazy("an Excel workbook (.xlsx) or a ZIP archive"),
    b"\xd0\xcf\x11\xe0": gettext_lazy("an old Excel workbook (.xls)"),
    b"%PDF": gettext_lazy("a PDF document"),
    b"\x89PNG": gettext_lazy("a PNG image"),
    b"\xff\xd8\xff": gettext_lazy("a JPEG image"),
    b"GIF8": gettext_lazy("a GIF image"),
    b"\x1f\x8b": gettext_lazy("a gzip archive"),
}
_EXCEL_SIGNATURES = {b"PK\x03\x04", b"\xd0\xcf\x11\xe0"}
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")


def _norm(header: str) -> str:
    return re.sub(r"[\s_]+", "", header.strip().lower())


def _decode(data: bytes) -> str:
    for signature, kind in _BINARY_SIGNATURES.items():
        if data.startswith(signature):
            message = _("This is %(kind)s, not a CSV file. Upload the CSV export of your sales CRM.") % {"kind": kind}
            if signature in _EXCEL_SIGNATURES:
                message += " " + _("In Excel use File > Save As > CSV UTF-8.")
            raise ImportFileError(message)
    if b"\x00" in data[:65536]:
        raise ImportFileError(_("This is a binary file, not a CSV file. Upload the CSV export of your sales CRM."))
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        text = text.rstrip("\x1a")  # the end-of-file mark some old Windows tools append
        if _CONTROL_CHARACTERS.search(text[:65536]):
            raise ImportFileError(_("This is a binary file, not a CSV file. Upload the CSV export of your sales CRM."))
        return text
    raise ImportFileError(_("The file is not UTF-8 or Windows-1252 text. Export it again as CSV (UTF-8)."))


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


# An amount as exports write it: optional currency sign or ISO code before or after, optional
# thousands commas. Anything else ("12k", "1O0", "1.2.3") is not a number we may guess at.
_AMOUNT = re.compile(
    r"(?:(?P<code_before>[A-Z]{3})\s+|[$€£¥]\s*)?"
    r"(?P<number>-?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?|-?\.\d+)"
    r"(?:\s+(?P<code_after>[A-Z]{3})|\s*[$€£¥])?"
)


def _parse_amount(raw: str) -> tuple[Decimal | None, str]:
    """The deal amount and the ISO code written next to it, if any.

    The amount is ``None`` when the cell is empty: Salesforce allows it, and readiness then
    blocks the handoff until sales fills it in.
    """
    text = (raw or "").replace("\xa0", " ").strip()
    if not text:
        return None, ""
    match = _AMOUNT.fullmatch(text)
    if match is None:
        raise ValueError(_("Amount %(value)r is not a number") % {"value": raw})
    try:
        value = Decimal(match.group("number").replace(",", ""))
    except InvalidOperation as exc:  # pragma: no cover - the pattern only lets numbers through
        raise ValueError(_("Amount %(value)r is not a number") % {"value": raw}) from exc
    if value < 0:
        raise ValueError(_("Amount %(value)r must be zero or more") % {"value": raw})
    if value >= Decimal("1e12"):
        raise ValueError(_("Amount %(value)r is implausibly large") % {"value": raw})
    return value.quantize(Decimal("0.01")), match.group("code_before") or match.group("code_after") or ""


_ISO_DATE = re.compile(r"(\d{4}-\d{2}-\d{2})(?:[T ]\S.*)?")
_SLASHED_DATE = re.compile(r"(\d{1,2}/\d{1,2}/\d{4})(?: \S.*)?")


def _parse_date(raw: str, order: str | None = DATE_ORDER_MDY) -> dt.date:
    """YYYY-MM-DD (Data Loader, HubSpot; a time part is ignored), or a slashed date read in ``order``."""
    text = (raw or "").strip()
    try:
        if match := _ISO_DATE.fullmatch(text):
            return dt.date.fromisoformat(match.group(1))
        if match := _SLASHED_DATE.fullmatch(text):
            first, second, year = (int(part) for part in match.group(1).split("/"))
            if order is None and (first > 12 or second > 12):
                order = DATE_ORDER_DMY if first > 12 else DATE_ORDER_MDY  # only one reading is a date
            if order is None and first != second:
                day_first, month_first = dt.date(year, second, first), dt.date(year, first, second)
                raise AmbiguousDateError(
                    _(
                        "Date %(value)r reads as %(day_first)s or %(month_first)s: choose the date order"
                        " of the file (day/month or month/day) and upload it again"
                    )
                    % {
                        "value": raw,
                        "day_first": date_format(day_first, "d F"),
                        "month_first": date_format(month_first, "d F"),
                    }
                )
            day, month = (first, second) if order == DATE_ORDER_DMY else (second, first)
            return dt.date(year, month, day)
    except AmbiguousDateError:
        raise
    except ValueError:
        pass
    shape = "DD/MM/YYYY" if order == DATE_ORDER_DMY else "MM/DD/YYYY"
    raise ValueError(_("Date %(value)r is not YYYY-MM-DD or %(shape)s") % {"value": raw, "shape": shape})


class AmbiguousDateError(ValueError):
    pass


def _detect_date_order(raw_dates: list[str]) -> str | None:
    """The order the file's unambiguous slashed dates reveal (25/03 is day-first, 03/25 month-first);
    None when nothing reveals it, or when the file shows both."""
    day_first = month_first = False
    for raw in raw_dates:
        if match := _SLASHED_DATE.fullmatch((raw or "").strip()):
            first, second, _year = (int(part) for part in match.group(1).split("/"))
            day_first |= first > 12 >= second
            month_first |= second > 12 >= first
    if day_first == month_first:
        return None
    return DATE_ORDER_DMY if day_first else DATE_ORDER_MDY


@dataclass(frozen=True)
class ParsedRow:
    line: int
    deal_id: str
    deal_name: str
    account_id: str
    account_name: str
    closed_won: bool
    amount: Decimal | None
    close_date: dt.date
    currency: str
    owner_id: str
    industry: str
    website: str
    city: str
    country: str
    description: str = ""


def _slug(text: str) -> str:
    """A stable key for a name: readable, any script, and unique even when cut to fit an id column.

    Cutting alone made "Intl. Business Machines Germany" and "... France" (or any two names in a
    non-Latin script, which used to slug to nothing) the same client.
    """
    slug = re.sub(r"[\W_]+", "-", text.casefold()).strip("-")
    if slug.isascii() and 0 < len(slug) <= 40:
        return slug
    digest = hashlib.sha1(slug.encode(), usedforsecurity=False).hexdigest()[:10]
    readable = re.sub(r"[^a-z0-9]+", "-", slug[:28]).strip("-")
    return f"{readable}-{digest}" if readable else digest


def parse_rows(text: str, *, date_order: str = DATE_ORDER_DETECT) -> tuple[str, list[ParsedRow], list[tuple[int, str]]]:
    # newline="" lets the csv module see \r\n, \n and \r (old Excel for Mac) line ends and quoted
    # newlines alike; strict turns an unclosed quote into an error instead of a swallowed file.
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        headers = next(reader)
    except StopIteration as exc:
        raise ImportFileError(_("The file is empty.")) from exc
    except csv.Error as exc:
        raise ImportFileError(_("Unreadable CSV header: %(error)s.") % {"error": exc}, line=1) from exc
    source, columns = _column_map(headers)
    required = HUBSPOT_REQUIRED if source == HUBSPOT else SALESFORCE_REQUIRED
    missing = [key for key in required if key not in columns]
    if missing:
        spec = HUBSPOT_HEADERS if source == HUBSPOT else SALESFORCE_HEADERS
        names = ", ".join(spec[key][0] for key in missing)
        message = ngettext(
            "Missing column(s) %(names)s for a %(source)s export.",
            "Missing column(s) %(names)s for a %(source)s export.",
            len(missing),
        ) % {"names": names, "source": source.title()}
        if not columns:
            message += " " + _(
                "Expected a Salesforce Data Loader opportunities export or a HubSpot deals export, as CSV"
                " with its header row."
            )
        raise ImportFileError(message, line=1)

    if date_order not in {DATE_ORDER_DMY, DATE_ORDER_MDY}:
        dates_column = columns["close_date"]
        scan = csv.reader(io.StringIO(text, newline=""))
        next(scan, None)
        try:
            raw_dates = [values[dates_column] for values in scan if dates_column < len(values)]
        except csv.Error:
            raw_dates = []  # the main pass names the unreadable line
        date_order = _detect_date_order(raw_dates)

    rows: list[ParsedRow] = []
    errors: list[tuple[int, str]] = []
    seen_deals: dict[str, int] = {}
    while True:
        # A record starts on the line after the previous one ended: a quoted field may span lines,
        # and the user looks for the line where the row begins.
        line = reader.line_num + 1
        try:
            values = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            errors.append(
                (line, _("Unreadable CSV from this line on (%(error)s): check for an unclosed quote.") % {"error": exc})
            )
            break
        if not any(v.strip() for v in values):
            continue
        if len(rows) + len(errors) >= MAX_ROWS:
            errors.append((line, _("More than %(limit)s rows; split the file.") % {"limit": MAX_ROWS}))
            break

        def get(key: str, values: list[str] = values) -> str:
            index = columns.get(key)
            return values[index].strip() if index is not None and index < len(values) else ""

        problems: list[str] = []
        deal_name, account_name = get("deal_name"), get("account_name")
        if not deal_name:
            problems.append(_("deal name is empty"))
        if not account_name:
            problems.append(_("account / company name is empty"))
        if len(deal_name) > 200 or len(account_name) > 200:
            problems.append(_("a name is longer than 200 characters"))
        stage = get("stage")
        if not stage:
            problems.append(_("stage is empty"))
        amount = close_date = None
        amount_currency = ""
        try:
            amount, amount_currency = _parse_amount(get("amount"))
        except ValueError as exc:
            problems.append(str(exc))
        try:
            close_date = _parse_date(get("close_date"), date_order)
        except ValueError as exc:
            problems.append(str(exc))
        account_id = get("account_id")
        if source == HUBSPOT:
            # "Associated Company IDs" lists every associated company, ";"-separated: the first is primary.
            account_id = account_id.split(";")[0].strip() or f"hubspot-company:{_slug(account_name)}"
        if not account_id:
            problems.append(_("AccountId is empty"))
        deal_id = get("deal_id") or (
            "hubspot-deal:"
            + hashlib.sha1(
                f"{_slug(account_name)}\n{_slug(deal_name)}\n{close_date}".encode(), usedforsecurity=False
            ).hexdigest()[:24]
            if source == HUBSPOT
            else ""
        )
        if not deal_id:
            problems.append(_("opportunity Id is empty"))
        if len(account_id) > 64 or len(deal_id) > 64:
            problems.append(_("an id is longer than 64 characters"))
        currency = (get("currency") or amount_currency or "EUR").upper()
        if not re.fullmatch(r"[A-Z]{3}", currency):
            problems.append(_("currency %(code)r is not a 3-letter ISO code") % {"code": currency})
        elif amount_currency and amount_currency != currency:
            problems.append(
                _("the amount is in %(amount_currency)s but the currency column says %(currency)s")
                % {"amount_currency": amount_currency, "currency": currency}
            )
        if deal_id and deal_id in seen_deals:
            problems.append(
                _("deal %(deal)s already appears on line %(line)s") % {"deal": deal_id, "line": seen_deals[deal_id]}
            )
        if problems:
            # Translators: separates the problems of one import line ("deal name is empty; stage is empty").
            message = _("; ").join(problems)
            # Upper-case the first letter only: ids and names in the message keep their case.
            errors.append((line, message[:1].upper() + message[1:] + "."))
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
                description=_raw(values, columns.get("description")),
            )
        )
    return source, rows, errors


def _raw(values: list[str], index: int | None) -> str:
    """A cell exactly as the export wrote it (the csv module has already undone the quoting)."""
    return values[index] if index is not None and index < len(values) else ""


class _Rollback(Exception):
    pass


def import_sales_export(
    *,
    data: bytes,
    by: User,
    dry_run: bool,
    to_team: Team | None = None,
    to_am: User | None = None,
    date_order: str = DATE_ORDER_DETECT,
) -> ImportReport:
    """Create/update clients by external id and one handoff per Closed Won deal; all or nothing.

    Accounts whose deals are all lost or still open are not created (they are sales' pipeline, not
    clients to manage): they are reported as skipped.
    """
    report = ImportReport(dry_run=dry_run)
    if not rules.can_import_sales_exports(by):
        report.errors.append((0, _("Your role cannot import sales exports.")))
        return report
    try:
        source, rows, parse_errors = parse_rows(_decode(data), date_order=date_order)
    except ImportFileError as exc:
        report.errors.append((exc.line, exc.message))
        return report
    report.source = source
    report.errors.extend(parse_errors)

    sales_users = {u.sales_crm_id: u for u in User.objects.filter(role=Role.SALES).exclude(sales_crm_id="")}
    accounts = _account_fields(rows)
    try:
        with transaction.atomic():
            for row in rows:
                try:
                    with transaction.atomic():
                        report.rows.append(
                            _apply_row(
                                row,
                                incoming=accounts[row.account_id],
                                by=by,
                                sales_users=sales_users,
                                to_team=to_team,
                                to_am=to_am,
                            )
                        )
                except (ApplicationError, ValidationError) as exc:
                    message = exc.message if isinstance(exc, ApplicationError) else " ".join(exc.messages)
                    if getattr(exc, "field", None) == "client_external_id":  # name the column of the export
                        message = _("AccountId %(id)s belongs to a client you have no access to.") % {
                            "id": row.account_id
                        }
                    report.errors.append((row.line, message))
            if report.errors or dry_run:
                raise _Rollback
    except _Rollback:
        pass
    report.errors.sort()
    return report


ACCOUNT_FIELDS = ("name", "industry", "website", "city", "country")


def _account_fields(rows: list[ParsedRow]) -> dict[str, dict[str, str]]:
    """One set of client fields per account: the last non-blank value of each field in the file.

    An account with several deals appears on several rows, maybe spelled differently; applying
    each row in turn would rename the client back and forth, and a second run of the same file
    would not be a no-op.
    """
    accounts: dict[str, dict[str, str]] = {}
    for row in rows:
        fields = accounts.setdefault(row.account_id, dict.fromkeys(ACCOUNT_FIELDS, ""))
        values = {
            "name": row.account_name,
            "industry": row.industry,
            "website": row.website,
            "city": row.city,
            "country": row.country,
        }
        fields.update({key: value for key, value in values.items() if value})
    return accounts


def _apply_row(
    row: ParsedRow,
    *,
    incoming: dict[str, str],
    by: User,
    sales_users: dict[str, User],
    to_team: Team | None,
    to_am: User | None,
) -> RowOutcome:
    receipt = services.deal_receive(
        by=by,
        deal_name=row.deal_name,
        deal_external_id=row.deal_id,
        closed_won=row.closed_won,
        client_external_id=row.account_id,
        client_fields=incoming,
        sales_owner=None if by.role == Role.SALES else sales_users.get(row.owner_id),
        deal_amount=row.amount,
        currency=row.currency,
        close_date=row.close_date,
        description=row.description,
        to_team=to_team,
        to_am=to_am,
    )
    client_action, handoff_action = receipt.client_action, receipt.handoff_action
    return RowOutcome(
        line=row.line,
        deal=row.deal_name,
        client=row.account_name,
        client_action=client_action,
        handoff_action=handoff_action,
    )
