"""Demo data for capture: sample .eml files (capture/demo_mail/) captured as if they had arrived by mail, and a
meeting invitation, so a fresh `make run` shows e-mail on timelines, a thread, Russian and Chinese mail, a
message waiting in To file and an upcoming meeting. Called once by dashboards' seed_demo."""

from __future__ import annotations

import datetime as dt
from email.utils import format_datetime
from pathlib import Path

from capture import calendar, services
from capture.models import CaptureSource
from clients.models import Client, Contact

SAMPLES = Path(__file__).resolve().parent / "demo_mail"


def _fields(contact: Contact, client: Client, when: dt.datetime, seed: int) -> dict[str, str]:
    owner = client.owner
    return {
        "contact_name": contact.full_name,
        "contact_first": contact.first_name,
        "contact_email": contact.email,
        "contact_domain": contact.email.split("@", 1)[1],
        "am_name": owner.get_full_name() or owner.username,
        "am_first": owner.first_name or owner.username,
        "am_email": owner.email,
        "client_name": client.name,
        "date": format_datetime(when),
        "seed": str(seed),
    }


def seed_captured_mail(*, clients: list[Client], now: dt.datetime, seed: int = 42) -> int:
    """Capture the samples for the first few clients that have an owner with an e-mail and a contact with one."""
    usable = []
    for client in clients:
        contact = client.contacts.filter(is_active=True).exclude(email="").order_by("pk").first()
        if client.owner_id and client.owner.email and contact is not None:
            usable.append((client, contact))
        if len(usable) == 3:
            break
    if not usable:
        return 0
    captured = 0
    plan = [
        (0, "01-renewal-question.eml", 3),
        (0, "02-reply.eml", 2),
        (1, "03-russian-html.eml", 1),
        (2, "04-chinese.eml", 4),
        (0, "05-unknown-sender.eml", 1),
    ]
    for index, name, days_ago in plan:
        client, contact = usable[index % len(usable)]
        raw = (SAMPLES / name).read_text(encoding="utf-8")
        text = raw.format_map(_fields(contact, client, now - dt.timedelta(days=days_ago, hours=index), seed))
        result = services.message_capture(
            raw=text.replace("\n", "\r\n").encode(), source=CaptureSource.INBOUND, now=now
        )
        captured += int(result.created)

    client, contact = usable[0]
    start = (now + dt.timedelta(days=6)).replace(hour=10, minute=0, second=0, microsecond=0)
    invitation = calendar.invitation_ics(
        meeting=calendar.Meeting(
            uid=f"demo-{seed}-meeting@{contact.email.split('@', 1)[1]}",
            sequence=0,
            summary=f"{client.name}: renewal call",
            start=start,
            end=start + dt.timedelta(minutes=45),
            organizer=calendar.Attendee(contact.email, contact.full_name),
            attendees=(calendar.Attendee(client.owner.email, client.owner.get_full_name()),),
        ),
        now=now,
    )
    services.invitation_upload(raw=invitation, client=client, by=client.owner, now=now)
    return captured
