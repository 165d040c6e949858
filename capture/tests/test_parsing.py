"""capture/parsing.py: pure, no database."""

from __future__ import annotations

import datetime as dt

import pytest

from capture.parsing import MalformedMessage, fold_reply, html_to_text, parse_message
from capture.tests.mail import HTML_ONLY, chinese_gb2312, cyrillic_koi8, message, raw_lines


def test_a_plain_message_is_read_with_its_envelope():
    parsed = parse_message(
        message(cc="Bob <AM_BOB@example.com>", message_id="<abc@x>", in_reply_to="<p1@x>", references="<p0@x> <p1@x>")
    )
    assert parsed.message_id == "abc@x"
    assert parsed.sender.email == "dora@acme.example" and parsed.sender.name == "Dora Client"
    assert [a.email for a in parsed.to] == ["am_alice@example.com"]
    assert [a.email for a in parsed.cc] == ["am_bob@example.com"]  # addresses are compared in lower case
    assert parsed.subject == "Renewal questions"
    assert parsed.sent_at == dt.datetime(2026, 3, 2, 9, 30, tzinfo=dt.UTC)
    assert parsed.parent_ids == ("p1@x", "p0@x")
    assert "Can we talk about the renewal" in parsed.text


def test_cyrillic_encoded_words_and_a_koi8_quoted_printable_body():
    parsed = parse_message(cyrillic_koi8())
    assert parsed.subject == "Продление договора"
    assert parsed.sender.name == "Дора Клиентова"
    assert parsed.text == "Добрый день, Алиса!\n\nГотовы обсудить продление."  # the signature is folded away
    assert "Дора" in parsed.full_text


def test_chinese_encoded_words_and_a_mislabelled_gb2312_base64_body():
    parsed = parse_message(chinese_gb2312())
    assert parsed.subject == "续约合同"
    assert parsed.sender.name == "王伟"
    assert "我们下周讨论续约。镕" in parsed.text


def test_raw_8bit_headers_in_a_legacy_charset_are_decoded_not_garbled():
    raw = (
        b"From: dora@acme.example\r\nTo: am_alice@example.com\r\nSubject: "
        + "Счёт за март".encode("cp1251")
        + b"\r\nMessage-ID: <8bit@x>\r\nContent-Type: text/plain; charset=windows-1251\r\n\r\n"
        + "Оплатим в пятницу.".encode("cp1251")
    )
    parsed = parse_message(raw)
    assert parsed.subject == "Счёт за март"
    assert parsed.text == "Оплатим в пятницу."


def test_an_unknown_charset_falls_back_to_readable_text():
    raw = raw_lines(
        "From: dora@acme.example", "Message-ID: <u@x>", "Content-Type: text/plain; charset=x-no-such-charset",
        body="Grüße".encode(),
    )  # fmt: skip
    assert parse_message(raw).text == "Grüße"


def test_an_html_only_body_becomes_safe_text():
    parsed = parse_message(message(body=None, html=HTML_ONLY))
    assert parsed.from_html is True
    assert "<" not in parsed.full_text and "alert" not in parsed.full_text and "color" not in parsed.full_text
    assert parsed.text == "Hi Alice,\n\nThe new prices look fine & we agree.\n\n[ACME]"
    assert "> Here are the new prices." in parsed.full_text  # the quoted reply is kept aside, marked


def test_plain_text_is_preferred_to_its_html_alternative():
    parsed = parse_message(message(body="Plain words.", html="<p>HTML words.</p>"))
    assert parsed.text == "Plain words." and parsed.from_html is False


def test_attachments_are_listed_with_name_type_and_decoded_size():
    data = bytes(range(256)) * 4000  # 1,024,000 bytes, base64 on the wire
    parsed = parse_message(
        message(
            attachments=(("contract.pdf", "application/pdf", data), ("Счёт.xlsx", "application/vnd.ms-excel", b"x"))
        )
    )
    assert [(a.filename, a.content_type, a.size) for a in parsed.attachments] == [
        ("contract.pdf", "application/pdf", 1_024_000),
        ("Счёт.xlsx", "application/vnd.ms-excel", 1),
    ]
    assert "renewal" in parsed.text  # the body is not taken for an attachment


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Yes, Tuesday works.\n\nOn Mon, 2 Mar 2026 at 09:00, Alice <a@x> wrote:\n> Does Tuesday work?\n",
            "Yes, Tuesday works.",
        ),
        ("Yes.\n\nOn Mon, 2 Mar 2026 at 09:00, Alice Example\n<a@x> wrote:\n> Q?", "Yes."),  # wrapped header line
        ("Fine.\n\n-----Original Message-----\nFrom: Alice\nSent: Monday\nSubject: Q", "Fine."),
        ("Fine.\n\nFrom: Alice <a@x>\nSent: Monday, March 2, 2026 9:00\nTo: Dora\nSubject: Q\n\nQ?", "Fine."),
        ("Договорились.\n\n2 марта 2026 г., 09:00, Алиса <a@x> пишет:\n> Во вторник?", "Договорились."),
        ("好的。\n\n在 2026年3月2日 09:00，Alice <a@x> 写道：\n> 周二可以吗？", "好的。"),
        ("> Does Tuesday work?\nYes.\n> And 10:00?\nAlso yes.", "Yes.\nAlso yes."),  # answers between quotes stay
        ("Thanks!\n-- \nDora Client\nHead of Logistics", "Thanks!"),
        ("> only a quote", "> only a quote"),  # nothing of its own: the text is kept whole
    ],
)
def test_quoted_replies_and_signatures_are_folded_away(text, expected):
    assert fold_reply(text) == expected


def test_html_to_text_drops_scripts_styles_and_tags_and_keeps_structure():
    text = html_to_text("<ul><li>one</li><li>two &lt;3</li></ul><script>steal()</script><p>end<br>line</p>")
    assert text == "- one\n- two <3\n\nend\nline"


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"", "empty"),
        (b"   \r\n", "empty"),
        (b"this is not an e-mail at all\r\njust words\r\n", "not_email"),
        (b"Subject: no sender\r\nMessage-ID: <x@y>\r\n\r\nbody", "no_sender"),
        (b"From: not an address\r\nSubject: x\r\n\r\nbody", "no_sender"),
    ],
)
def test_what_is_not_a_message_raises_with_a_reason(raw, reason):
    with pytest.raises(MalformedMessage) as caught:
        parse_message(raw)
    assert caught.value.reason == reason


def test_broken_mime_is_read_as_far_as_it_goes():
    raw = raw_lines(
        "From: dora@acme.example", "Message-ID: <broken@x>", 'Content-Type: multipart/mixed; boundary="b1"',
        body=b"--b1\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\n%%%not base64%%%\r\n",
    )  # fmt: skip
    parsed = parse_message(raw)  # no closing boundary, invalid base64: defects, not a crash
    assert parsed.message_id == "broken@x"


def test_headers_only_reads_the_envelope_of_a_message_too_large_to_take():
    raw = message(subject="Big one", attachments=(("big.bin", "application/octet-stream", b"0" * 50_000),))
    parsed = parse_message(raw.split(b"\r\n\r\n")[0] + b"\r\n\r\n", headers_only=True)
    assert parsed.subject == "Big one" and parsed.text == "" and parsed.attachments == ()


def test_nul_bytes_and_control_characters_never_reach_the_text():
    raw = raw_lines("From: dora@acme.example", "Message-ID: <nul@x>", "Subject: a\x01b", body=b"one\x00two\x07")
    parsed = parse_message(raw)
    assert parsed.text == "onetwo" and parsed.subject == "ab"
