"""CSV and JSON exports of a review: its frozen snapshot, outcome and action items."""

from __future__ import annotations

from django.utils.text import slugify

from core.csv_export import csv_writer
from reviews.models import AccountReview
from reviews.serializers import ReviewSerializer


def review_data(review: AccountReview) -> dict:
    """The JSON export: the same representation as the API."""
    return ReviewSerializer(review).data


def file_name(review: AccountReview, extension: str) -> str:
    return f"review-{slugify(review.client.name) or review.client_id}-{review.period.key}.{extension}"


def write_csv(review: AccountReview, out) -> None:
    """One long table: section, item, value, previous, change %, trend, detail."""
    writer = csv_writer(out)  # spreadsheet-safe: no cell runs as a formula
    writer.writerow(["section", "item", "value", "previous", "change_pct", "trend", "detail"])
    writer.writerows(csv_rows(review))


def csv_rows(review: AccountReview) -> list[list]:
    data = review.snapshot or {}
    period = data.get("period", {})
    rows: list[list] = [
        ["review", "client", review.client.name, "", "", "", review.client.external_id or ""],
        ["review", "quarter", review.label, period.get("previous", {}).get("label", ""), "", "", ""],
        ["review", "status", review.get_status_display(), "", "", "", ""],
        ["review", "planned_on", review.planned_on.isoformat(), "", "", "", ""],
        ["review", "held_on", review.held_on.isoformat() if review.held_on else "", "", "", "", ""],
        ["review", "attendees", "; ".join(str(c) for c in review.contacts.all()), "", "", "", ""],
        ["review", "colleagues", "; ".join(str(u) for u in review.colleagues.all()), "", "", "", ""],
        ["review", "snapshot_as_of", period.get("as_of", ""), "", "", "", data.get("taken_at", "")],
    ]
    for kpi in data.get("kpis", []):
        rows.append(
            [
                "kpi",
                kpi["name"],
                kpi["current"],
                kpi["previous"],
                kpi["change_pct"],
                kpi["trend"],
                f"{kpi['unit']}; {kpi['verdict']}".strip("; "),
            ]
        )
    health = data.get("health", {})
    for moment in ("start", "end"):
        score = health.get(moment)
        if score:
            rows.append(
                ["health", moment, score["score"], "", "", score["band"], f"{score['date']}; {score['weakest']}"]
            )
    for outcome, count in data.get("commitments", {}).get("counts", {}).items():
        rows.append(["commitments", outcome, count, "", "", "", ""])
    for kind, count in data.get("interactions", {}).get("by_kind", {}).items():
        rows.append(["interactions", kind, count, "", "", "", ""])
    for flag in data.get("flags", []):
        rows.append(["flag", flag["title"], flag["severity"], "", "", flag["status"], flag["evidence"]])
    for name in ("wins", "issues", "satisfaction", "goals_progress", "next_quarter_plan"):
        rows.append(["outcome", name, getattr(review, name), "", "", "", ""])
    for item in review.action_items.all():
        followup = item.followup
        rows.append(
            [
                "action_item",
                item.title,
                str(item.owner or ""),
                "",
                "",
                followup.get_status_display() if followup else "unassigned",
                "; ".join(
                    part
                    for part in (
                        f"due {item.due_date}" if item.due_date else "",
                        f"promised {item.promised_date}" if item.promised_date else "",
                        "commitment" if item.is_commitment else "",
                    )
                    if part
                ),
            ]
        )
    return rows
