"""Forwarded mail, unwrapped: when an account manager forwards a client's message to the capture address, what
belongs on the timeline is the client's message (its sender, date and text), not "Alice wrote to crm@".

Two shapes are read: the original attached whole (``message/rfc822``, as Outlook's "Forward as attachment" and
Thunderbird do), and the original quoted inline under a forward header (Gmail, Apple Mail, Outlook, Yandex,
Mail.ru, QQ/Foxmail, in English, Russian and Chinese). Inline originals have no Message-ID of their own; theirs
is derived from the quoted header and text, so the same mail forwarded by two colleagues is still one message.
"""

from __future__ import annotations

import hashlib
import re
from email import policy
from email.message import EmailMessage, Message
from email.parser import BytesParser
from email.utils import format_datetime, getaddresses, parsedate_to_datetime

from capture.parsing import html_to_text

_FORWARD_SUBJECT = re.compile(r"^\s*(fwd?|fw|пересл|переслано|转发|轉寄|wg)\s*[:：]", re.IGNORECASE)
_FORWARD_MARKER = re.compile(
    r"^\s*(-{2,}\s*(Forwarded message|Original Message|Пересылаемое сообщение|Пересланное сообщение"
    r"|Исходное сообщение|转发邮件|转发的邮件|原始邮件|Weitergeleitete Nachricht|Message transféré)\s*-{2,}"
    r"|Begin forwarded message\s*:|_{20,})\s*$",
    re.IGNORECASE,
)
_HEADER = re.compile(r"^\s*\**\s*([^\s:：*][^:：*]{0,30}?)\s*\**\s*[:：]\s*(.*)$")
_NAMES = {
    "from": {"from", "от", "от кого", "发件人", "寄件者", "von", "de"},
    "date": {"date", "sent", "дата", "отправлено", "发送时间", "日期", "时间", "gesendet", "envoyé"},
    "to": {"to", "кому", "收件人", "an", "à"},
    "cc": {"cc", "копия", "抄送", "kopie"},
    "subject": {"subject", "тема", "主题", "主旨", "betreff", "objet"},
}
_KIND = {alias: kind for kind, aliases in _NAMES.items() for alias in aliases}


def _body_text(msg: Message) -> str:
    plain = msg.get_body(preferencelist=("plain",)) if isinstance(msg, EmailMessage) else None
    if plain is not None:
        return plain.get_content()
    html = msg.get_body(preferencelist=("html",)) if isinstance(msg, EmailMessage) else None
    return html_to_text(html.get_content()) if html is not None else ""


def _attached_original(msg: Message) -> bytes | None:
    for part in msg.walk():
        if part.get_content_type() == "message/rfc822":
            inner = part.get_payload()
            inner = inner[0] if isinstance(inner, list) and inner else inner
            if isinstance(inner, Message):
                return inner.as_bytes(policy=policy.SMTP)
    return None


def _inline_original(text: str) -> tuple[dict[str, str], str] | None:
    lines = text.replace("\r\n", "\n").split("\n")
    for index, line in enumerate(lines):
        if not _FORWARD_MARKER.match(line.strip("> ")):
            continue
        headers: dict[str, str] = {}
        cursor = index + 1
        while cursor < len(lines) and not lines[cursor].strip():
            cursor += 1
        while cursor < len(lines):
            match = _HEADER.match(lines[cursor].lstrip("> "))
            kind = _KIND.get(match.group(1).strip().lower()) if match else None
            if kind is None:
                break
            headers[kind] = match.group(2).strip()
            cursor += 1
        if "from" in headers:
            body = "\n".join(line[2:] if line.startswith("> ") else line for line in lines[cursor:]).strip("\n")
            return headers, body
    return None


def _synthetic(headers: dict[str, str], body: str, *, fallback_date) -> bytes:
    msg = EmailMessage()
    sender = getaddresses([headers["from"].replace("[mailto:", "<").replace("]", ">")])
    name, address = sender[0] if sender else ("", "")
    if "@" not in address:  # "Dora Client <dora@acme.example>" written as "Dora Client dora@acme.example"
        found = re.search(r"[\w.+-]+@[\w-]+(\.[\w-]+)+", headers["from"])
        address = found.group(0) if found else ""
    msg["From"] = f"{name} <{address}>" if name else address
    for kind, header in (("to", "To"), ("cc", "Cc")):
        if headers.get(kind):
            addresses = [a for a in getaddresses([headers[kind]]) if "@" in a[1]]
            if addresses:
                msg[header] = ", ".join(f"{n} <{a}>" if n else a for n, a in addresses)
    msg["Subject"] = headers.get("subject", "")
    try:
        msg["Date"] = format_datetime(parsedate_to_datetime(headers.get("date", "")))
    except (TypeError, ValueError, IndexError):
        if fallback_date:
            msg["Date"] = fallback_date
    digest = hashlib.sha256(f"{address}\n{headers.get('subject', '')}\n{headers.get('date', '')}\n{body.strip()}"
                            .encode()).hexdigest()[:32]  # fmt: skip
    msg["Message-ID"] = f"<fwd-{digest}@capture.invalid>"
    msg.set_content(body or "")
    return msg.as_bytes(policy=policy.SMTP)


def unwrap_forward(raw: bytes) -> bytes | None:
    """The original message a forward carries, as RFC 822 bytes, or None when ``raw`` is not a forward."""
    try:
        msg = BytesParser(policy=policy.default).parsebytes(raw)
    except Exception:
        return None
    subject = str(msg.get("Subject", ""))
    attached = _attached_original(msg)
    if attached is not None and (_FORWARD_SUBJECT.match(subject) or not _body_text(msg).strip()):
        return attached
    try:
        text = _body_text(msg)
    except Exception:
        return None
    found = _inline_original(text)
    if found is None or not (_FORWARD_SUBJECT.match(subject) or found[0].get("subject")):
        return None
    headers, body = found
    return _synthetic(headers, body, fallback_date=msg.get("Date"))
