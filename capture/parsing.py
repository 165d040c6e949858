"""Reading one e-mail: raw RFC 822 bytes in, a ``ParsedMessage`` out. Pure: stdlib only, no database.

- MIME multipart (alternative, related, mixed, nested), quoted-printable and base64 bodies;
- the body's declared charset, with the usual mislabels read as their supersets (gb2312 -> gb18030,
  ks_c_5601 -> cp949…) and a readable fallback when a charset is unknown or lies;
- RFC 2047 encoded-word headers (Cyrillic, Chinese…) and raw 8-bit headers;
- an HTML-only body becomes plain text (no tags, no scripts or styles, quoted blocks marked with ``>``);
- the signature ("-- ") and the quoted reply ("On … wrote:", ">" lines, Outlook's "From: … Sent:") are
  folded away, so what is left is what this message added to the conversation;
- attachments are listed (name, type, decoded size), not kept.

A message that cannot be an e-mail (empty, no headers, no sender) raises ``MalformedMessage`` with a
reason code; nothing else raises.
"""

from __future__ import annotations

import codecs
import datetime as dt
import hashlib
import re
from dataclasses import dataclass
from email import policy
from email.message import Message
from email.parser import BytesHeaderParser, BytesParser
from email.utils import getaddresses, parsedate_to_datetime
from html.parser import HTMLParser

# Reason codes of a message that could not be read (capture.models.CaptureReason holds their labels).
EMPTY = "empty"
NOT_EMAIL = "not_email"
NO_SENDER = "no_sender"
UNREADABLE = "unreadable"

MESSAGE_ID_MAX = 250  # longer ids (they exist) are kept as their hash
TEXT_MAX = 200_000  # characters of body text kept


class MalformedMessage(ValueError):
    def __init__(self, reason: str, detail: str = ""):
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class Address:
    email: str  # lower case
    name: str = ""

    @property
    def domain(self) -> str:
        return self.email.rpartition("@")[2]


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    size: int  # bytes, decoded


@dataclass(frozen=True)
class ParsedMessage:
    message_id: str  # without the angle brackets; "" when the message has none
    in_reply_to: str
    references: tuple[str, ...]
    subject: str
    sender: Address | None
    to: tuple[Address, ...]
    cc: tuple[Address, ...]
    sent_at: dt.datetime | None  # aware
    text: str  # what this message says: signature and quoted reply folded away
    full_text: str  # the whole body as plain text
    from_html: bool  # the text was made from an HTML body (there was no plain one)
    attachments: tuple[Attachment, ...]
    size: int  # bytes of the raw message
    calendars: tuple[bytes, ...] = ()  # text/calendar parts (meeting invitations), decoded

    @property
    def participants(self) -> tuple[Address, ...]:
        seen: dict[str, Address] = {}
        for address in (self.sender, *self.to, *self.cc):
            if address is not None and address.email not in seen:
                seen[address.email] = address
        return tuple(seen.values())

    @property
    def parent_ids(self) -> tuple[str, ...]:
        """The messages this one answers, nearest first."""
        ids = ([self.in_reply_to] if self.in_reply_to else []) + list(reversed(self.references))
        return tuple(dict.fromkeys(i for i in ids if i))


# --- helpers -----------------------------------------------------------------------------------------------

_SURROGATES = re.compile("[\udc80-\udcff]")
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# Labels that mail clients put on text in a larger charset than they name.
CHARSET_ALIASES = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "cn-gb": "gb18030",
    "euc-cn": "gb18030",
    "ks_c_5601-1987": "cp949",
    "euc-kr": "cp949",
    "iso-8859-1": "cp1252",
    "latin1": "cp1252",
    "us-ascii": "utf-8",
    "ascii": "utf-8",
    "ansi_x3.4-1968": "utf-8",
    "unicode-1-1-utf-7": "utf-7",
    "x-unknown": "utf-8",
    "unknown-8bit": "utf-8",
    "windows-874": "cp874",
    "shift-jis": "cp932",
    "shift_jis": "cp932",
    "x-sjis": "cp932",
    "big5": "big5hkscs",
}


def _codec(charset: str | None) -> str | None:
    if not charset:
        return None
    name = charset.strip().strip('"').lower()
    name = CHARSET_ALIASES.get(name, name)
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def decode_bytes(data: bytes, charset: str | None = None) -> str:
    """Text of ``data`` in its declared charset; when that is unknown or wrong, UTF-8, then Windows-1252."""
    for candidate in (_codec(charset), "utf-8"):
        if candidate:
            try:
                return data.decode(candidate)
            except (UnicodeDecodeError, LookupError):
                continue
    return data.decode(_codec(charset) or "cp1252", errors="replace")


def clean_text(value: str, *, charset: str | None = None) -> str:
    """A string safe to store and show: raw 8-bit bytes (surrogate escapes) decoded, control characters gone."""
    if _SURROGATES.search(value):
        value = decode_bytes(value.encode("utf-8", "surrogateescape"), charset)
    return _CONTROL.sub("", value)


def normalize_message_id(value: str | None) -> str:
    """``<abc@host>`` -> ``abc@host`` (whitespace dropped; very long ids as their hash)."""
    if not value:
        return ""
    value = clean_text(str(value))
    match = re.search(r"<([^<>]+)>", value)
    token = (match.group(1) if match else value).strip()
    token = re.sub(r"\s+", "", token)
    if len(token) > MESSAGE_ID_MAX:
        token = "sha256:" + hashlib.sha256(token.encode("utf-8")).hexdigest()
    return token


def _message_ids(value: str | None) -> tuple[str, ...]:
    if not value:
        return ()
    value = clean_text(str(value))
    found = re.findall(r"<[^<>]+>", value) or value.split()
    return tuple(dict.fromkeys(i for i in (normalize_message_id(token) for token in found) if i))


def synthetic_message_id(raw: bytes) -> str:
    """The id of a message that has none: the same bytes delivered twice are one message."""
    return f"sha256:{hashlib.sha256(raw).hexdigest()}"


def _raw_header(msg: Message, name: str) -> str | None:
    for key, value in msg.raw_items():
        if key.lower() == name.lower():
            return str(value)
    return None


def _header(msg: Message, name: str, charset: str | None) -> str:
    """A header as text; a header the library cannot parse is read raw (never an exception)."""
    raw = _raw_header(msg, name)
    if raw is not None and _SURROGATES.search(raw):  # raw 8-bit bytes: the library would replace them with "?"
        return " ".join(clean_text(raw, charset=charset).split())
    try:
        value = msg.get(name)
    except Exception:  # email's header parser has known crashes on hostile input
        value = _raw_header(msg, name)
    if value is None:
        return ""
    return " ".join(clean_text(str(value), charset=charset).split())


def _addresses(msg: Message, name: str, charset: str | None) -> tuple[Address, ...]:
    found: list[Address] = []
    raw = _raw_header(msg, name)
    try:
        if raw is not None and _SURROGATES.search(raw):
            raise ValueError("8-bit header")
        header = msg.get(name)
        pairs = [(a.display_name, a.addr_spec) for a in header.addresses] if header is not None else []
    except Exception:  # fall back to the lenient parser on the decoded text
        pairs = getaddresses([_header(msg, name, charset)])
    for display, spec in pairs:
        spec = clean_text(spec or "", charset=charset).strip().strip("<>").lower()
        if "@" not in spec or " " in spec or spec.startswith("@") or spec.endswith("@"):
            continue
        found.append(Address(email=spec[:254], name=" ".join(clean_text(display or "", charset=charset).split())))
    return tuple(dict.fromkeys(found))


def _date(msg: Message) -> dt.datetime | None:
    try:
        header = msg.get("Date")
        value = getattr(header, "datetime", None)
        if value is None and header is not None:
            value = parsedate_to_datetime(str(header))
    except Exception:  # an unreadable date is no date
        return None
    if value is None:
        return None
    if value.tzinfo is None:  # "-0000": the time is UTC, its zone unknown
        value = value.replace(tzinfo=dt.UTC)
    return value


# --- HTML to text --------------------------------------------------------------------------------------------

_SKIP = {"script", "style", "head", "title", "noscript", "template", "svg", "object", "iframe", "xml"}
_BLOCK = {
    "p", "div", "br", "tr", "table", "ul", "ol", "li", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "section",
    "article", "header", "footer", "blockquote", "pre", "dl", "dt", "dd", "address", "center", "form", "fieldset",
}  # fmt: skip


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[list] = [[0, []]]  # [quote depth, chunks of text]
        self.skip = 0
        self.quote = 0
        self.pre = 0

    def _newline(self) -> None:
        if self.lines[-1][1]:
            self.lines.append([self.quote, []])
        else:
            self.lines[-1][0] = self.quote

    def _blank(self) -> None:
        self._newline()
        if len(self.lines) >= 2 and self.lines[-2][1]:
            self.lines.append([self.quote, []])

    def handle_starttag(self, tag: str, attrs) -> None:
        if tag in _SKIP:
            self.skip += 1
            return
        if self.skip:
            return
        if tag == "blockquote":
            self._newline()
            self.quote += 1
            self._newline()
        elif tag == "pre":
            self.pre += 1
            self._newline()
        elif tag == "li":
            self._newline()
            self.lines[-1][1].append("- ")
        elif tag in {"td", "th"}:
            self.lines[-1][1].append(" ")
        elif tag in {"p", "h1", "h2", "h3", "h4", "h5", "h6", "table"}:
            self._blank()
        elif tag in _BLOCK:
            self._newline()
        elif tag == "img":
            alt = dict(attrs).get("alt")
            if alt:
                self.lines[-1][1].append(f"[{alt}]")

    def handle_startendtag(self, tag: str, attrs) -> None:
        if tag not in _SKIP:
            self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self.skip = max(0, self.skip - 1)
            return
        if self.skip:
            return
        if tag == "blockquote":
            self._newline()
            self.quote = max(0, self.quote - 1)
            self._newline()
        elif tag == "pre":
            self.pre = max(0, self.pre - 1)
            self._newline()
        elif tag in {"p", "h1", "h2", "h3", "h4", "h5", "h6", "table"}:
            self._blank()
        elif tag in _BLOCK:
            self._newline()

    def handle_data(self, data: str) -> None:
        if self.skip:
            return
        if self.pre:
            first, *rest = data.split("\n")
            self.lines[-1][1].append(first)
            for line in rest:
                self._newline()
                self.lines[-1][1].append(line)
            return
        text = re.sub(r"\s+", " ", data)
        if text.strip() or self.lines[-1][1]:
            self.lines[-1][1].append(text)

    def text(self) -> str:
        out = []
        for depth, chunks in self.lines:
            line = re.sub(r"[ \t\u00a0]+", " ", "".join(chunks)).strip()
            prefix = ">" * depth
            out.append(f"{prefix} {line}" if prefix and line else prefix or line)
        return _tidy("\n".join(out))


def html_to_text(html: str) -> str:
    """Plain text of an HTML body: no tags, no scripts or styles; blockquotes become ``>`` lines."""
    parser = _TextExtractor()
    try:
        parser.feed(html)
        parser.close()
    except Exception:  # html.parser is lenient; this is the last line of defence
        return _tidy(re.sub(r"<[^>]*>", " ", html))
    return parser.text()


def _tidy(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = [line.rstrip() for line in text.split("\n")]
    text = "\n".join(lines).strip("\n")
    return re.sub(r"\n{3,}", "\n\n", text)


# --- folding the quoted reply and the signature ----------------------------------------------------------------

_WROTE = re.compile(
    r"^(On\b.{0,300}\bwrote|Le\b.{0,300}\ba écrit|Am\b.{0,300}\bschrieb|El\b.{0,300}\bescribió"
    r"|.{0,300}(пишет|написал|написала|написал\(а\))|在.{0,300}写道|.{0,300}於.{0,100}寫道)\s*[:：]\s*$",
    re.IGNORECASE,
)
_ORIGINAL = re.compile(
    r"^\s*-{2,}\s*(Original Message|Исходное сообщение|Пересланное сообщение|原始邮件|原始郵件"
    r"|Ursprüngliche Nachricht|Message d'origine|Mensaje original)\s*-{2,}\s*$",
    re.IGNORECASE,
)
_OUTLOOK_FROM = re.compile(r"^\s*\**(From|От|发件人|寄件者|Von|De)\s*\**\s*[:：]", re.IGNORECASE)
_OUTLOOK_SENT = re.compile(
    r"^\s*\**(Sent|Date|Отправлено|Дата|发送时间|日期|Gesendet|Envoyé)\s*\**\s*[:：]", re.IGNORECASE
)
_UNDERSCORES = re.compile(r"^\s*_{20,}\s*$")


def _reply_header_at(lines: list[str], index: int) -> bool:
    line = lines[index].strip()
    if _ORIGINAL.match(line):
        return True
    if _WROTE.match(line):
        return True
    # "On Mon, 5 Jan 2026 at 10:00, Dora Ivanova\n<dora@example.com> wrote:" (wrapped by the client)
    wrapped = index + 1 < len(lines) and re.match(r"^(On|Le|Am|El)\b", line, re.IGNORECASE)
    if wrapped and _WROTE.match(f"{line} {lines[index + 1].strip()}"):
        return True
    if _UNDERSCORES.match(line) and index + 1 < len(lines) and _OUTLOOK_FROM.match(lines[index + 1]):
        return True
    if _OUTLOOK_FROM.match(line):
        following = lines[index + 1 : index + 5]
        return any(_OUTLOOK_SENT.match(other) for other in following)
    return False


def fold_reply(text: str) -> str:
    """What a message adds: the text before its signature and before the quoted message it answers.

    Quoted lines (``>``) are dropped wherever they are, so an answer written between quotes stays. When
    nothing is left (a message that only forwards or quotes), the whole text is kept.
    """
    text = _tidy(text)
    lines = text.split("\n")
    kept: list[str] = []
    for index, line in enumerate(lines):
        if line.rstrip() == "--" or line == "-- ":
            break
        if _reply_header_at(lines, index):
            break
        if line.lstrip().startswith(">"):
            continue
        kept.append(line)
    folded = _tidy("\n".join(kept))
    return folded or text


# --- the message -------------------------------------------------------------------------------------------


def _charset_of(msg: Message) -> str | None:
    try:
        return msg.get_content_charset()
    except Exception:
        return None


def _part_text(part: Message) -> str:
    payload = part.get_payload(decode=True)
    if payload is None:
        payload = part.get_payload()
        if isinstance(payload, str):
            return clean_text(payload)
        return ""
    return clean_text(decode_bytes(payload, _charset_of(part)))


def _filename(part: Message) -> str:
    try:
        name = part.get_filename()
    except Exception:
        name = None
    return " ".join(clean_text(str(name)).split())[:255] if name else ""


def _disposition(part: Message) -> str | None:
    try:
        return part.get_content_disposition()
    except Exception:
        return None


def _size(part: Message) -> int:
    try:
        if part.get_content_type() == "message/rfc822":
            inner = part.get_payload()
            inner = inner[0] if isinstance(inner, list) and inner else inner
            return len(inner.as_bytes()) if isinstance(inner, Message) else 0
        payload = part.get_payload(decode=True)
        return len(payload) if payload is not None else len(str(part.get_payload() or ""))
    except Exception:
        return 0


def _walk(msg: Message):
    """Leaf parts in order; a forwarded message (message/rfc822) is one leaf, not entered."""
    if msg.get_content_type() == "message/rfc822" or not msg.is_multipart():
        yield msg
        return
    payload = msg.get_payload()
    for part in payload if isinstance(payload, list) else []:
        if isinstance(part, Message):
            yield from _walk(part)


CALENDAR_TYPES = frozenset({"text/calendar", "application/ics"})
CALENDAR_PART_MAX = 1024 * 1024


def attachment_payloads(raw: bytes, *, limit: int) -> list[tuple[str, bytes]]:
    """The attached files of a message, decoded: (file name, bytes), each at most ``limit`` bytes (larger ones are
    left out, as are inline text parts and invitations, which are read elsewhere)."""
    try:
        msg = _parse(raw, headers_only=False)
    except Exception:
        return []
    found = []
    for part in _walk(msg):
        content_type = part.get_content_type()
        if content_type.startswith("multipart/") or content_type in CALENDAR_TYPES or content_type == "message/rfc822":
            continue
        name = _filename(part)
        is_text = content_type in {"text/plain", "text/html"}
        if not (_disposition(part) == "attachment" or (name and not is_text) or not is_text):
            continue
        payload = part.get_payload(decode=True) or b""
        if 0 < len(payload) <= limit:
            found.append((name or _default_name(content_type), payload))
    return found


def calendar_parts(msg: Message) -> tuple[bytes, ...]:
    """The meeting invitations a message carries (inline or attached), at most 1 MB each."""
    found = []
    for part in _walk(msg):
        if part.get_content_type() in CALENDAR_TYPES:
            payload = part.get_payload(decode=True) or b""
            if 0 < len(payload) <= CALENDAR_PART_MAX:
                found.append(payload)
    return tuple(found)


def _body_and_attachments(msg: Message) -> tuple[str, bool, tuple[Attachment, ...]]:
    plain: list[str] = []
    html: list[str] = []
    attachments: list[Attachment] = []
    for part in _walk(msg):
        content_type = part.get_content_type()
        disposition = _disposition(part)
        name = _filename(part)
        is_text = content_type in {"text/plain", "text/html"}
        if disposition == "attachment" or (name and not (is_text and disposition == "inline")) or not is_text:
            if content_type.startswith("multipart/"):
                continue
            attachments.append(
                Attachment(filename=name or _default_name(content_type), content_type=content_type, size=_size(part))
            )
            continue
        (plain if content_type == "text/plain" else html).append(_part_text(part))
    if any(p.strip() for p in plain):
        return _tidy("\n\n".join(p for p in plain if p.strip())), False, tuple(attachments)
    if html:
        return html_to_text("\n".join(html)), True, tuple(attachments)
    return "", False, tuple(attachments)


def _default_name(content_type: str) -> str:
    if content_type == "message/rfc822":
        return "message.eml"
    return "attachment"


def _parse(raw: bytes, *, headers_only: bool) -> Message:
    parser = BytesHeaderParser(policy=policy.default) if headers_only else BytesParser(policy=policy.default)
    return parser.parsebytes(raw)


def _has_headers(msg: Message) -> bool:
    try:
        return bool(msg.keys())
    except Exception:
        return False


def parse_message(raw: bytes, *, headers_only: bool = False) -> ParsedMessage:
    """Read ``raw``; ``headers_only`` reads just the envelope (for a message too large to take whole)."""
    if not raw or not raw.strip():
        raise MalformedMessage(EMPTY)
    try:
        msg = _parse(raw, headers_only=headers_only)
    except Exception as exc:  # the parser should never raise; if it does, it is unreadable
        raise MalformedMessage(UNREADABLE, type(exc).__name__) from exc
    if not _has_headers(msg):
        raise MalformedMessage(NOT_EMAIL)
    charset = _charset_of(msg)
    senders = _addresses(msg, "From", charset) or _addresses(msg, "Sender", charset)
    if not senders:
        raise MalformedMessage(NO_SENDER)
    if headers_only:
        full, from_html, attachments, calendars = "", False, (), ()
    else:
        try:
            full, from_html, attachments = _body_and_attachments(msg)
            calendars = calendar_parts(msg)
        except Exception as exc:
            raise MalformedMessage(UNREADABLE, type(exc).__name__) from exc
    full = full[:TEXT_MAX]
    in_reply_to = _message_ids(_header(msg, "In-Reply-To", charset))
    return ParsedMessage(
        message_id=normalize_message_id(_header(msg, "Message-ID", charset)),
        in_reply_to=in_reply_to[0] if in_reply_to else "",
        references=_message_ids(_header(msg, "References", charset)),
        subject=_header(msg, "Subject", charset)[:500],
        sender=senders[0],
        to=_addresses(msg, "To", charset),
        cc=_addresses(msg, "Cc", charset),
        sent_at=_date(msg),
        text=fold_reply(full) if full else "",
        full_text=full,
        from_html=from_html,
        attachments=attachments,
        size=len(raw),
        calendars=calendars,
    )


def header_block(raw: bytes, limit: int = 256 * 1024) -> bytes:
    """The header part of a raw message (up to the first empty line), for reading a message too large to take."""
    head = raw[:limit]
    for separator in (b"\r\n\r\n", b"\n\n"):
        end = head.find(separator)
        if end != -1:
            return head[: end + len(separator)]
    return head


__all__ = [
    "Address",
    "Attachment",
    "MalformedMessage",
    "ParsedMessage",
    "decode_bytes",
    "fold_reply",
    "header_block",
    "html_to_text",
    "normalize_message_id",
    "parse_message",
    "synthetic_message_id",
]
