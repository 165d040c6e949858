"""Messages for the capture tests, built as real RFC 822 bytes (the way mail programs write them)."""

from __future__ import annotations

import base64
import datetime as dt
import itertools
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime

_ids = itertools.count(1)


def message(
    *,
    sender: str = "Dora Client <dora@acme.example>",
    to: str = "Alice <am_alice@example.com>",
    cc: str | None = None,
    subject: str = "Renewal questions",
    body: str = "Hello Alice,\n\nCan we talk about the renewal next week?\n\nDora",
    html: str | None = None,
    message_id: str | None = None,
    in_reply_to: str | None = None,
    references: str | None = None,
    date: dt.datetime | None = None,
    attachments: tuple[tuple[str, str, bytes], ...] = (),
) -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    if cc:
        msg["Cc"] = cc
    msg["Subject"] = subject
    msg["Date"] = format_datetime(date or dt.datetime(2026, 3, 2, 9, 30, tzinfo=dt.UTC))
    msg["Message-ID"] = message_id or f"<test-{next(_ids)}@mail.acme.example>"
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
    if references:
        msg["References"] = references
    if html is not None and body is None:
        msg.set_content(html, subtype="html")
    else:
        msg.set_content(body)
        if html is not None:
            msg.add_alternative(html, subtype="html")
    for filename, content_type, data in attachments:
        maintype, subtype = content_type.split("/")
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return msg.as_bytes(policy=SMTP)


def raw_lines(*lines: str, body: bytes = b"") -> bytes:
    return "\r\n".join(lines).encode("ascii") + b"\r\n\r\n" + body


def cyrillic_koi8() -> bytes:
    """A Cyrillic subject as an encoded word, a KOI8-R body in quoted-printable (a Russian client's mailer)."""
    subject = "=?utf-8?b?" + base64.b64encode("Продление договора".encode()).decode() + "?="
    text = "Добрый день, Алиса!\n\nГотовы обсудить продление.\n\n-- \nДора\n"
    import quopri

    body = quopri.encodestring(text.encode("koi8-r").replace(b"\n", b"\r\n"))
    return raw_lines(
        "From: =?koi8-r?b?" + base64.b64encode("Дора Клиентова".encode("koi8-r")).decode() + "?= <dora@acme.example>",
        "To: am_alice@example.com",
        f"Subject: {subject}",
        "Date: Mon, 02 Mar 2026 10:00:00 +0300",
        "Message-ID: <koi8-1@mail.acme.example>",
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=koi8-r",
        "Content-Transfer-Encoding: quoted-printable",
        body=body,
    )


def chinese_gb2312() -> bytes:
    """A GB2312-labelled message (with a GBK-only character, as mailers do) and a Chinese encoded-word subject."""
    subject = "=?gb2312?b?" + base64.b64encode("续约合同".encode("gb2312")).decode() + "?="
    text = "李女士您好，\n\n我们下周讨论续约。镕\n"  # 镕 is in GBK, not in GB2312
    return raw_lines(
        "From: =?utf-8?q?" + "".join(f"={b:02X}" for b in "王伟".encode()) + "?= <wang@huahe.example>",
        "To: am_alice@example.com",
        f"Subject: {subject}",
        "Date: Mon, 02 Mar 2026 10:00:00 +0800",
        "Message-ID: <gb-1@mail.huahe.example>",
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=gb2312",
        "Content-Transfer-Encoding: base64",
        body=base64.encodebytes(text.encode("gb18030")),
    )


HTML_ONLY = """<html><head><style>p { color: red }</style><script>alert('x')</script></head>
<body><p>Hi Alice,</p><p>The <b>new prices</b> look fine &amp; we agree.</p>
<img src="cid:logo" alt="ACME"><div class="gmail_quote">On Mon, 2 Mar 2026 at 09:00, Alice wrote:
<blockquote><p>Here are the new prices.</p></blockquote></div></body></html>"""
