"""Stakeholders out as vCard 3.0 (RFC 2426), the version every phone and desktop address book imports."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from capture.calendar import UID_DOMAIN
from clients.models import Contact

_LINE_OCTETS = 75


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "").replace(",", "\\,").replace(";", "\\;")


def _fold(line: str) -> str:
    """Fold a content line at 75 octets without splitting a UTF-8 character (Cyrillic and CJK are 2-3 octets)."""
    parts: list[str] = []
    current, size = "", 0
    for char in line:
        octets = len(char.encode())
        limit = _LINE_OCTETS if not parts else _LINE_OCTETS - 1  # continuation lines start with a space
        if size + octets > limit:
            parts.append(current)
            current, size = "", 0
        current += char
        size += octets
    parts.append(current)
    return "\r\n ".join(parts)


def contact_vcard(contact: Contact) -> str:
    lines = [
        "BEGIN:VCARD",
        "VERSION:3.0",
        f"N:{_escape(contact.last_name)};{_escape(contact.first_name)};;;",
        f"FN:{_escape(contact.full_name or contact.first_name)}",
        f"ORG:{_escape(contact.client.name)}",
    ]
    if contact.job_title:
        lines.append(f"TITLE:{_escape(contact.job_title)}")
    if contact.email:
        lines.append(f"EMAIL;TYPE=INTERNET,WORK:{_escape(contact.email)}")
    if contact.phone:
        lines.append(f"TEL;TYPE=WORK,VOICE:{_escape(contact.phone)}")
    if contact.notes:
        lines.append(f"NOTE:{_escape(contact.notes)}")
    lines.append(f"UID:contact-{contact.pk}@{UID_DOMAIN}")
    lines.append(f"REV:{contact.updated_at.astimezone(dt.UTC):%Y%m%dT%H%M%SZ}")
    lines.append("END:VCARD")
    return "".join(_fold(line) + "\r\n" for line in lines)


def contacts_vcard(contacts: Iterable[Contact]) -> str:
    return "".join(contact_vcard(contact) for contact in contacts)
