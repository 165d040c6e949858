"""Every write to account reviews, their action items and account plans; HTML views and the API call these.

A review moves planned -> prepared -> held -> closed, only through the functions below; any
other move raises ``ApplicationError`` saying what to do instead. ``Client.last_review_on``
is a denormalised fact owned by this app: the services that hold a review or change its
date recompute it in the same transaction (DESIGN.md), as does the client's satisfaction
KPI value, written with the health app's upsert.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Max
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from clients.models import MANAGED_STATUSES, Client, Contact
from clients.permissions import client_can_edit
from core.dates import Quarter
from core.errors import ApplicationError, ConcurrentEditError, NotAllowedError
from core.formats import format_day
from core.locking import check_version, lock_for_update, save_audited
from health.services import health_scores_refresh_later
from interactions.models import FollowUpOrigin
from interactions.services import followup_create
from kpis import ingest
from kpis.models import Aggregation, Metric
from reviews import plan_items, selectors
from reviews.models import HELD_STATUSES, AccountPlan, AccountReview, ReviewActionItem, ReviewStatus
from users.models import User

SATISFACTION_KEY = "satisfaction"
DEFAULT_ACTION_DAYS = 14
MAX_ACTION_ITEMS = 30
REVIEW_PLAN_FIELDS = {"planned_on", "agenda"}
REVIEW_OUTCOME_FIELDS = {"held_on", "wins", "issues", "satisfaction", "goals_progress", "next_quarter_plan"}
PLAN_EDITABLE_FIELDS = {
    "hypothesis",
    "revenue_target",
    "currency",
    "objectives",
    "opportunities",
    "stakeholders",
    "risks",
}


def _locked(review_pk: int, expected_version: int | None, *, by: User, action: str) -> AccountReview:
    """The review re-read under a lock; the permission is checked on its current client, the version compared."""
    return lock_for_update(
        AccountReview,
        review_pk,
        expected_version,
        allowed=lambda current: client_can_edit(user=by, client=current.client),
        refusal=_refusal(action),
    )


def _refusal(action: str) -> str:
    """What a user who may only view the review is told when trying ``action``."""
    refusals = {
        "reschedule it": _("You can view this review but not reschedule it."),
        "prepare it": _("You can view this review but not prepare it."),
        "hold it": _("You can view this review but not hold it."),
        "change its outcome": _("You can view this review but not change its outcome."),
        "close it": _("You can view this review but not close it."),
        "add action items": _("You can view this review but not add action items."),
        "assign its action items": _("You can view this review but not assign its action items."),
    }
    return refusals.get(action) or _("You can view this review but not change it.")


def _text(value: str | None) -> str:
    return (value or "").strip()


def _plan_record_id(client_id: int) -> int | None:
    """The history row of the client's account plan as it stands now (None: no plan yet)."""
    return (
        AccountPlan.history.filter(client_id=client_id)
        .order_by("-history_date", "-history_id")
        .values_list("history_id", flat=True)
        .first()
    )


def _refresh_last_review(client_id: int) -> None:
    """``Client.last_review_on`` = the latest date a review of the client was held."""
    latest = AccountReview.objects.filter(client_id=client_id, status__in=HELD_STATUSES).aggregate(
        latest=Max("held_on")
    )["latest"]
    if latest is not None:
        # .update(): a derived fact, not a user edit; it must not flood the client's audit history.
        Client.objects.filter(pk=client_id).update(last_review_on=latest)


def _satisfaction_metric() -> Metric:
    metric, _ = Metric.objects.get_or_create(  # created by migration reviews 0002; this is a safety net
        key=SATISFACTION_KEY,
        defaults={
            "name": "Satisfaction",  # stored once for every reader: the KPI's own name
            "unit": "/10",
            "higher_is_better": True,
            "aggregation": Aggregation.LAST,
            "description": "The client's satisfaction (1-10), asked in the quarterly account review.",
            "min_value": 1,
            "max_value": 10,
            "frequency": "quarterly",
        },
    )
    return metric


def _record_satisfaction(review: AccountReview, *, old_day: dt.date | None, old_value: int | None) -> None:
    """Keep the satisfaction KPI value of the review's day in step with the review."""
    metric = _satisfaction_metric()
    moved = old_value is not None and old_day is not None and (old_day != review.held_on or review.satisfaction is None)
    if moved:
        ingest.delete_values([(review.client_id, metric.pk, old_day)])
    if review.satisfaction is not None:
        ingest.upsert_values([(review.client_id, metric.pk, review.held_on, float(review.satisfaction))])
    if moved or review.satisfaction is not None:
        _queue_rescore(review.client_id)


def _queue_rescore(client_id: int) -> None:
    """Today's health score of the client is refreshed once the review's changes are committed.

    Through health's debounced re-score (best effort: the review is saved either way; the daily run rescores).
    """
    health_scores_refresh_later(client_ids=[client_id], on_date=timezone.localdate())


def _check_attendees(client: Client, contacts: list[Contact], colleagues: list[User]) -> None:
    foreign = [c for c in contacts if c.client_id != client.pk]
    if foreign:
        names = ", ".join(str(c) for c in foreign)
        raise ApplicationError(
            _("Not a contact of %(client)s: %(names)s.") % {"client": client, "names": names}, field="contacts"
        )
    inactive = [u for u in colleagues if not u.is_active]
    if inactive:
        raise ApplicationError(
            ngettext(
                "%(names)s no longer works here; choose active colleagues.",
                "%(names)s no longer work here; choose active colleagues.",
                len(inactive),
            )
            % {"names": ", ".join(str(u) for u in inactive)},
            field="colleagues",
        )


def transition_error(review: AccountReview, action: str) -> ApplicationError:
    """A clear refusal for ``action`` (prepare, hold, close, reschedule, outcome, items) from the current status."""
    status = review.status
    day = {"day": format_day(review.held_on)}  # a held review always has its date
    messages = {
        ("prepare", ReviewStatus.PREPARED): _(
            "This review is already prepared. Take a fresh snapshot only if you mean to replace the one you prepared."
        ),
        ("prepare", ReviewStatus.HELD): _("This review was held on %(day)s: its snapshot stays as it was presented.")
        % day,
        ("prepare", ReviewStatus.CLOSED): _("This review is closed: its snapshot stays as it was presented."),
        ("hold", ReviewStatus.PLANNED): _("Prepare the review first: that freezes the quarter's numbers you present."),
        ("hold", ReviewStatus.HELD): _("This review was already held on %(day)s; edit its outcome instead.") % day,
        ("hold", ReviewStatus.CLOSED): _("This review is closed; it is kept as it was."),
        ("close", ReviewStatus.PLANNED): _("Prepare and hold the review before closing it."),
        ("close", ReviewStatus.PREPARED): _("Hold the review before closing it."),
        ("close", ReviewStatus.CLOSED): _("This review is already closed."),
        ("reschedule", ReviewStatus.HELD): _("This review was already held on %(day)s; it cannot be rescheduled.")
        % day,
        ("reschedule", ReviewStatus.CLOSED): _("This review is closed; it cannot be rescheduled."),
        ("outcome", ReviewStatus.PLANNED): _("The outcome is recorded when the review is held."),
        ("outcome", ReviewStatus.PREPARED): _("The outcome is recorded when the review is held."),
        ("outcome", ReviewStatus.CLOSED): _("This review is closed; its outcome is kept as it was."),
        ("items", ReviewStatus.PLANNED): _("Action items are agreed when the review is held."),
        ("items", ReviewStatus.PREPARED): _("Action items are agreed when the review is held."),
        ("items", ReviewStatus.CLOSED): _("This review is closed; add a follow-up on the client instead."),
    }
    fallback = _("Not possible while the review is %(status)s.") % {"status": review.get_status_display().lower()}
    return ApplicationError(messages.get((action, status), fallback))


# --- planning ------------------------------------------------------------------------------------


@transaction.atomic
def review_plan(
    *,
    client: Client,
    by: User,
    year: int,
    quarter: int,
    planned_on: dt.date | None,
    contacts: Iterable[Contact] = (),
    colleagues: Iterable[User] = (),
    agenda: str = "",
) -> AccountReview:
    """Put the review of ``quarter`` in the calendar; one per client and quarter."""
    if not client_can_edit(user=by, client=client):
        raise NotAllowedError(_("You can view this client but not plan its reviews."))
    if client.archived_at is not None or client.status not in MANAGED_STATUSES:
        raise ApplicationError(
            _("Reviews are for clients an account manager looks after (onboarding, active, paused).")
        )
    try:
        period = Quarter(int(year), int(quarter))
    except (TypeError, ValueError) as exc:
        raise ApplicationError(
            str(exc) if isinstance(exc, ValueError) else _("Choose a quarter."), field="quarter"
        ) from exc
    if planned_on is None:
        raise ApplicationError(_("Give the date the review is planned for."), field="planned_on")
    existing = AccountReview.objects.filter(client=client, year=period.year, quarter=period.quarter).first()
    if existing is not None:
        raise ApplicationError(
            _("%(client)s already has a %(quarter)s review (%(status)s).")
            % {"client": client, "quarter": period.label, "status": existing.get_status_display().lower()},
            field="quarter",
        )
    contacts, colleagues = list(contacts), list(colleagues)
    _check_attendees(client, contacts, colleagues)
    review = AccountReview(
        client=client,
        year=period.year,
        quarter=period.quarter,
        planned_on=planned_on,
        agenda=_text(agenda),
        created_by=by,
    )
    review._history_user = by
    try:
        with transaction.atomic():
            review.save()
    except IntegrityError as exc:  # planned at the same moment by someone else: the constraint decides
        raise ApplicationError(
            _("%(client)s already has a %(quarter)s review.") % {"client": client, "quarter": period.label},
            field="quarter",
        ) from exc
    review.contacts.set(contacts)
    review.colleagues.set(colleagues)
    _review_invitations_send(review, by=by, before=None)
    return review


@transaction.atomic
def review_plan_update(
    *,
    review: AccountReview,
    by: User,
    expected_version: int | None,
    contacts: Iterable[Contact] | None = None,
    colleagues: Iterable[User] | None = None,
    **changes: Any,
) -> AccountReview:
    """Reschedule, change the agenda or who attends; until the review is held."""
    unknown = set(changes) - REVIEW_PLAN_FIELDS
    if unknown:
        raise ApplicationError(_("Unknown review fields: %(fields)s.") % {"fields": ", ".join(sorted(unknown))})
    current = _locked(review.pk, expected_version, by=by, action="reschedule it")
    if current.status not in {ReviewStatus.PLANNED, ReviewStatus.PREPARED}:
        raise transition_error(current, "reschedule")
    if "planned_on" in changes and changes["planned_on"] is None:
        raise ApplicationError(_("Give the date the review is planned for."), field="planned_on")
    new_contacts = list(contacts) if contacts is not None else list(current.contacts.all())
    new_colleagues = list(colleagues) if colleagues is not None else list(current.colleagues.all())
    _check_attendees(current.client, new_contacts, new_colleagues)
    invited_before = _attendee_addresses(current)
    planned_before, agenda_before = current.planned_on, current.agenda
    for key, value in changes.items():
        setattr(current, key, _text(value) if key == "agenda" else value)
    current.version += 1
    save_audited(current, by=by)
    if contacts is not None:
        current.contacts.set(new_contacts)
    if colleagues is not None:
        current.colleagues.set(new_colleagues)
    moved = (current.planned_on, current.agenda) != (planned_before, agenda_before)
    if moved or _attendee_addresses(current) != invited_before:
        _review_invitations_send(current, by=by, before=invited_before)
    return current


# --- prepare, hold, close ------------------------------------------------------------------------


@transaction.atomic
def review_prepare(
    *,
    review: AccountReview,
    by: User,
    expected_version: int | None = None,
    refresh: bool = False,
    today: dt.date | None = None,
) -> AccountReview:
    """Freeze the quarter's KPIs, health, interactions, commitments and open flags into the review."""
    current = _locked(review.pk, expected_version, by=by, action="prepare it")
    if current.status != ReviewStatus.PLANNED and not (refresh and current.status == ReviewStatus.PREPARED):
        raise transition_error(current, "prepare")
    today = today or timezone.localdate()
    try:
        data = selectors.review_snapshot(client=current.client, quarter=current.period, today=today, taken_by=by)
    except ValueError as exc:
        raise ApplicationError(
            _("%(problem)s Prepare the review once the quarter has data to show.") % {"problem": exc}
        ) from exc
    current.snapshot = data
    current.status = ReviewStatus.PREPARED
    current.prepared_at = timezone.now()
    current.prepared_by = by
    current.plan_history_id = _plan_record_id(current.client_id)
    current.version += 1
    save_audited(current, by=by)
    return current


def _apply_outcome(review: AccountReview, changes: Mapping[str, Any], *, today: dt.date) -> None:
    unknown = set(changes) - REVIEW_OUTCOME_FIELDS
    if unknown:
        raise ApplicationError(_("Unknown review fields: %(fields)s.") % {"fields": ", ".join(sorted(unknown))})
    for key, value in changes.items():
        setattr(review, key, value if key in {"held_on", "satisfaction"} else _text(value))
    if review.held_on is None:
        raise ApplicationError(_("Give the date the review was held."), field="held_on")
    if review.held_on > today:
        raise ApplicationError(
            _("That date is in the future. Record the review once it has taken place."), field="held_on"
        )
    if review.held_on < review.period.start:
        raise ApplicationError(
            _("A %(quarter)s review cannot have been held before the quarter started (%(start)s).")
            % {"quarter": review.label, "start": review.period.start},
            field="held_on",
        )
    if review.satisfaction is not None:
        try:
            review.satisfaction = int(review.satisfaction)
        except (TypeError, ValueError) as exc:
            raise ApplicationError(_("Satisfaction is a whole number from 1 to 10."), field="satisfaction") from exc
        if not 1 <= review.satisfaction <= 10:
            raise ApplicationError(_("Satisfaction is a whole number from 1 to 10."), field="satisfaction")


@transaction.atomic
def review_hold(
    *,
    review: AccountReview,
    by: User,
    expected_version: int | None,
    held_on: dt.date | None,
    action_items: Iterable[Mapping[str, Any]] = (),
    today: dt.date | None = None,
    **outcome: Any,
) -> AccountReview:
    """The meeting took place: record its outcome and action items; ``last_review_on`` moves with it.

    ``outcome``: wins, issues, satisfaction (1-10, also stored as the client's satisfaction KPI),
    goals_progress, next_quarter_plan. Action items with an owner become follow-ups at once.
    """
    current = _locked(review.pk, expected_version, by=by, action="hold it")
    if current.status != ReviewStatus.PREPARED:
        raise transition_error(current, "hold")
    today = today or timezone.localdate()
    _apply_outcome(current, {**outcome, "held_on": held_on}, today=today)
    current.status = ReviewStatus.HELD
    current.plan_history_id = _plan_record_id(current.client_id)  # the plan as discussed in the meeting
    current.version += 1
    save_audited(current, by=by)
    items = list(action_items)
    if len(items) > MAX_ACTION_ITEMS:
        raise ApplicationError(
            ngettext(
                "At most %(count)s action item per review.",
                "At most %(count)s action items per review.",
                MAX_ACTION_ITEMS,
            )
            % {"count": MAX_ACTION_ITEMS},
            field="action_items",
        )
    for number, item in enumerate(items, start=1):
        _add_item(
            current, by=by, label=_("Action item %(number)s") % {"number": number}, position=number, today=today, **item
        )
    _record_satisfaction(current, old_day=None, old_value=None)
    _refresh_last_review(current.client_id)
    return current


@transaction.atomic
def review_outcome_update(
    *, review: AccountReview, by: User, expected_version: int | None, today: dt.date | None = None, **changes: Any
) -> AccountReview:
    """Correct what was recorded for a held review (until it is closed)."""
    current = _locked(review.pk, expected_version, by=by, action="change its outcome")
    if current.status != ReviewStatus.HELD:
        raise transition_error(current, "outcome")
    old_day, old_value = current.held_on, current.satisfaction
    _apply_outcome(current, changes, today=today or timezone.localdate())
    current.version += 1
    save_audited(current, by=by)
    if (old_day, old_value) != (current.held_on, current.satisfaction):
        _record_satisfaction(current, old_day=old_day, old_value=old_value)
    _refresh_last_review(current.client_id)
    return current


@transaction.atomic
def review_close(*, review: AccountReview, by: User, expected_version: int | None = None) -> AccountReview:
    """Done: every action item has an owner and is followed up as a follow-up."""
    current = _locked(review.pk, expected_version, by=by, action="close it")
    if current.status != ReviewStatus.HELD:
        raise transition_error(current, "close")
    pending = list(current.action_items.filter(followup__isnull=True).values_list("title", flat=True))
    if pending:
        names = ", ".join(f"“{title}”" for title in pending[:5]) + ("…" if len(pending) > 5 else "")
        raise ApplicationError(
            ngettext(
                "%(count)s action item still without an owner: %(names)s. Assign each one (it becomes a follow-up), "
                "then close.",
                "%(count)s action items still without an owner: %(names)s. Assign each one (it becomes a follow-up), "
                "then close.",
                len(pending),
            )
            % {"count": len(pending), "names": names}
        )
    current.status = ReviewStatus.CLOSED
    current.closed_at = timezone.now()
    current.closed_by = by
    current.version += 1
    save_audited(current, by=by)
    return current


# --- action items --------------------------------------------------------------------------------


def _as_bool(value: Any) -> bool:
    return bool(value) and str(value).lower() not in {"false", "0", "no", "off"}


def _item_error(label: str, message: str, field: str | None) -> ApplicationError:
    """Within a list of items the message names the item; on its own form it stands next to the field."""
    # Translators: an error about one item of a list, e.g. "Action item 2: Say what has to be done."
    text = _("%(item)s: %(message)s") % {"item": label, "message": message} if label else message
    return ApplicationError(text, field=field)


def _add_item(
    review: AccountReview,
    *,
    by: User,
    label: str,
    position: int,
    today: dt.date,
    title: str = "",
    owner: User | None = None,
    due_date: dt.date | None = None,
    is_commitment: bool = False,
    promised_date: dt.date | None = None,
) -> ReviewActionItem:
    field = "action_items" if label else "title"
    title = " ".join(_text(title).split())
    if not title:
        raise _item_error(label, _("Say what has to be done."), field)
    if len(title) > 300:
        raise _item_error(label, _("Keep it under 300 characters."), field)
    is_commitment = _as_bool(is_commitment)
    if promised_date is not None and not is_commitment:
        raise _item_error(label, _("Only an item promised to the client has a promised date."), field)
    item = ReviewActionItem(
        review=review,
        title=title,
        owner=owner,
        due_date=due_date,
        is_commitment=is_commitment,
        promised_date=promised_date,
        position=position,
        created_by=by,
    )
    save_audited(item, by=by)
    if owner is not None:
        _make_followup(item, review=review, by=by, label=label, today=today)
    return item


def _make_followup(item: ReviewActionItem, *, review: AccountReview, by: User, label: str, today: dt.date) -> None:
    item.due_date = item.due_date or item.promised_date or today + dt.timedelta(days=DEFAULT_ACTION_DAYS)
    try:
        item.followup = followup_create(
            client=review.client,
            by=by,
            title=item.title,
            due_date=item.due_date,
            owner=item.owner,
            is_commitment=item.is_commitment,
            promised_date=item.promised_date,
            notes=_("Agreed in the %(quarter)s account review.") % {"quarter": review.label},
            origin=FollowUpOrigin.REVIEW,
        )
    except NotAllowedError:
        raise
    except ApplicationError as exc:
        field = "action_items" if label else exc.field
        item_label = _("%(item)s (“%(title)s”)") % {"item": label, "title": item.title} if label else ""
        raise _item_error(item_label, exc.message, field) from exc
    save_audited(item, by=by)


@transaction.atomic
def review_action_item_add(
    *,
    review: AccountReview,
    by: User,
    title: str,
    owner: User | None = None,
    due_date: dt.date | None = None,
    is_commitment: bool = False,
    promised_date: dt.date | None = None,
    today: dt.date | None = None,
) -> ReviewActionItem:
    """One more action item on a held review; with an owner it becomes a follow-up at once."""
    current = _locked(review.pk, None, by=by, action="add action items")
    if current.status != ReviewStatus.HELD:
        raise transition_error(current, "items")
    count = current.action_items.count()
    if count >= MAX_ACTION_ITEMS:
        raise ApplicationError(
            ngettext(
                "At most %(count)s action item per review.",
                "At most %(count)s action items per review.",
                MAX_ACTION_ITEMS,
            )
            % {"count": MAX_ACTION_ITEMS},
            field="title",
        )
    return _add_item(
        current,
        by=by,
        label="",
        position=count + 1,
        today=today or timezone.localdate(),
        title=title,
        owner=owner,
        due_date=due_date,
        is_commitment=is_commitment,
        promised_date=promised_date,
    )


@transaction.atomic
def review_action_item_assign(
    *,
    item: ReviewActionItem,
    by: User,
    owner: User | None,
    due_date: dt.date | None = None,
    is_commitment: bool | None = None,
    promised_date: dt.date | None = None,
    today: dt.date | None = None,
) -> ReviewActionItem:
    """Give an unassigned action item its owner: it becomes a follow-up."""
    review = _locked(item.review_id, None, by=by, action="assign its action items")
    if review.status != ReviewStatus.HELD:
        raise transition_error(review, "items")
    current = ReviewActionItem.objects.select_for_update().get(pk=item.pk)
    if current.followup_id is not None:
        raise ApplicationError(_("This action item is already a follow-up; change it there."))
    if owner is None:
        raise ApplicationError(_("Choose who owns this action item."), field="owner")
    current.owner = owner
    current.due_date = due_date or current.due_date
    if is_commitment is not None:
        current.is_commitment = _as_bool(is_commitment)
    current.promised_date = promised_date if promised_date is not None else current.promised_date
    if current.promised_date is not None and not current.is_commitment:
        raise ApplicationError(_("Only an item promised to the client has a promised date."), field="promised_date")
    _make_followup(current, review=review, by=by, label="", today=today or timezone.localdate())
    return current


# --- account plans -------------------------------------------------------------------------------


def _clean_plan_fields(client: Client, fields: dict[str, Any]) -> dict[str, Any]:
    cleaned: dict[str, Any] = {}
    normalisers = {
        "objectives": plan_items.normalise_objectives,
        "opportunities": plan_items.normalise_opportunities,
        "risks": plan_items.normalise_risks,
    }
    for name, value in fields.items():
        try:
            if name in normalisers:
                cleaned[name] = normalisers[name](value)
            elif name == "stakeholders":
                names = {c.pk: str(c) for c in client.contacts.all()}
                cleaned[name] = plan_items.normalise_stakeholders(value, contact_names=names)
            elif name == "revenue_target":
                cleaned[name] = _amount(value)
            elif name == "currency":
                cleaned[name] = _currency(value)
            else:
                cleaned[name] = _text(value)
        except ValidationError as exc:
            raise ApplicationError(" ".join(exc.messages), field=name) from exc
    return cleaned


def _amount(value: Any) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        amount = Decimal(str(value))
    except InvalidOperation as exc:
        raise ValidationError(_("%(value)s is not an amount.") % {"value": repr(value)}) from exc
    if not amount.is_finite() or amount < 0:
        raise ValidationError(_("The revenue target cannot be negative."))
    if amount >= Decimal("1e12"):
        raise ValidationError(_("The revenue target is implausibly large."))
    return amount.quantize(Decimal("0.01"))


def _currency(value: Any) -> str:
    code = _text(value).upper()
    if len(code) != 3 or not code.isalpha():
        raise ValidationError(_("Use a 3-letter ISO currency code, e.g. EUR."))
    return code


@transaction.atomic
def account_plan_save(
    *, client: Client, by: User, expected_version: int | None, today: dt.date | None = None, **fields: Any
) -> AccountPlan:
    """Create the client's plan or save a new version of it; saving counts as revisiting it."""
    if not client_can_edit(user=by, client=client):
        raise NotAllowedError(_("You can view this client but not change its account plan."))
    unknown = set(fields) - PLAN_EDITABLE_FIELDS
    if unknown:
        raise ApplicationError(_("Unknown account plan fields: %(fields)s.") % {"fields": ", ".join(sorted(unknown))})
    cleaned = _clean_plan_fields(client, fields)
    plan = AccountPlan.objects.select_for_update().filter(client=client).first()
    if plan is None:
        plan = AccountPlan(client=client, currency=client.currency)
    else:
        if expected_version is None:
            raise ApplicationError(
                _("%(client)s already has an account plan; change that one (send the version you read).")
                % {"client": client}
            )
        check_version(plan, expected_version)
        plan.version += 1
    for key, value in cleaned.items():
        setattr(plan, key, value)
    plan.last_revisited_on = today or timezone.localdate()
    try:
        with transaction.atomic():
            save_audited(plan, by=by)
    except IntegrityError as exc:
        raise ConcurrentEditError(
            _("Someone created this client's account plan a moment ago. Reload it, then apply your changes.")
        ) from exc
    return plan


@transaction.atomic
def account_plan_revisit(
    *, plan: AccountPlan, by: User, expected_version: int | None = None, today: dt.date | None = None
) -> AccountPlan:
    """Looked at it with the client and nothing needs to change: record that it was revisited."""
    if not client_can_edit(user=by, client=plan.client):
        raise NotAllowedError(_("You can view this client but not change its account plan."))
    current = lock_for_update(AccountPlan, plan.pk, expected_version)
    current.last_revisited_on = today or timezone.localdate()
    current.version += 1
    save_audited(current, by=by)
    return current


# --- what the client sees on the shared plan page (sharing/) ------------------------------------------------------


@transaction.atomic
def shared_content_choose(
    *,
    client: Client,
    by: User,
    objective_indexes: Iterable[int],
    items: dict[int, Contact | None],
) -> None:
    """Mark which plan objectives and which action items of held reviews the client's contacts will see, and who
    on the client's side does each shared item (``items``: item id -> contact or None). Everything else stays
    internal."""
    if not client_can_edit(user=by, client=client):
        raise NotAllowedError(_("You can view this client but not share its plan."))
    plan = AccountPlan.objects.select_for_update().filter(client=client).first()
    chosen = set(objective_indexes)
    if plan is not None:
        objectives = [{**objective, "shared": index in chosen} for index, objective in enumerate(plan.objectives)]
        if objectives != plan.objectives:
            plan.objectives = objectives
            plan.version += 1
            save_audited(plan, by=by)
    for contact in (c for c in items.values() if c is not None):
        if contact.client_id != client.pk:
            raise ApplicationError(_("Choose a contact of this client."), field="items")
    rows = ReviewActionItem.objects.select_for_update().filter(review__client=client, review__status__in=HELD_STATUSES)
    for item in rows:
        shared = item.pk in items
        contact = items.get(item.pk) if shared else None
        if (item.shared_with_client, item.contact_id) != (shared, contact.pk if contact else None):
            item.shared_with_client, item.contact = shared, contact
            save_audited(item, by=by)


@transaction.atomic
def action_item_done_by_contact(*, item: ReviewActionItem, contact: Contact, done: bool, now: dt.datetime) -> bool:
    """The client's contact ticks (or unticks) an item they do on the shared page. Only a shared item that is
    theirs; returns whether anything changed."""
    current = ReviewActionItem.objects.select_for_update().get(pk=item.pk)
    if not current.shared_with_client or current.contact_id != contact.pk:
        raise NotAllowedError(_("This item is not yours to tick."))
    if (current.done_by_contact_at is not None) == done:
        return False
    current.done_by_contact_at = now if done else None
    current._history_user = None
    current.save(update_fields=["done_by_contact_at"])
    return True


# --- invitations: a planned review in the attendees' calendars -----------------------------------------------------


def _attendee_addresses(review: AccountReview) -> dict[str, str]:
    """E-mail address -> name of everyone invited: the client's contacts, the colleagues and the client's AM."""
    people: dict[str, str] = {}
    for contact in review.contacts.all():
        if contact.email:
            people[contact.email.lower()] = str(contact)
    owner = review.client.owner
    for user in [*review.colleagues.all(), *([owner] if owner else [])]:
        if user.email and user.is_active:
            people[user.email.lower()] = str(user)
    return people


def _review_invitations_send(review: AccountReview, *, by: User, before: dict[str, str] | None) -> int:
    """Send the review's invitation (iTIP REQUEST, one stable UID, a higher SEQUENCE each time) to every attendee,
    and a CANCEL to those no longer invited, through the outbox. ``before``: the attendees of the last invitation
    (None: the first). Returns the number of messages queued."""
    from capture.calendar import UID_DOMAIN, Attendee, Meeting, invitation_ics
    from notifications.services import outbox_enqueue

    people = _attendee_addresses(review)
    removed = {email: name for email, name in (before or {}).items() if email not in people}
    if not people and not removed:
        return 0
    AccountReview.objects.filter(pk=review.pk).update(invitation_sequence=F("invitation_sequence") + 1)
    review.refresh_from_db(fields=["invitation_sequence"])
    organizer = review.client.owner or by
    meeting = Meeting(
        uid=f"review-{review.pk}@{UID_DOMAIN}",
        sequence=review.invitation_sequence,
        summary=_("Account review %(quarter)s: %(client)s") % {"quarter": review.label, "client": review.client.name},
        start=review.planned_on,
        end=review.planned_on + dt.timedelta(days=1),
        organizer=Attendee(organizer.email, str(organizer)),
        attendees=tuple(Attendee(email, name) for email, name in sorted(people.items())),
        description=review.agenda,
    )
    queued = 0
    request_ics = invitation_ics(meeting=meeting).decode()
    for email in sorted(people):
        outbox_enqueue(
            key=f"review-invite-{review.pk}-{review.invitation_sequence}-{email}",
            recipient=email,
            subject=_("Invitation: %(summary)s, %(day)s")
            % {"summary": meeting.summary, "day": format_day(review.planned_on)},
            body=_("%(organizer)s invites you to the account review on %(day)s.\n\n%(agenda)s")
            % {"organizer": organizer, "day": format_day(review.planned_on), "agenda": review.agenda},
            calendar=request_ics,
        )
        queued += 1
    if removed:
        cancel_ics = invitation_ics(meeting=meeting, cancel=True).decode()
        for email in sorted(removed):
            outbox_enqueue(
                key=f"review-cancel-{review.pk}-{review.invitation_sequence}-{email}",
                recipient=email,
                subject=_("Cancelled: %(summary)s") % {"summary": meeting.summary},
                body=_("You are no longer invited to the account review on %(day)s.")
                % {"day": format_day(review.planned_on)},
                calendar=cancel_ics,
            )
            queued += 1
    return queued
