"""People read days, moments and months in their language (core.formats); ISO stays only where a machine reads it:
inside a tag (an ``<input type="date">`` value, a ``datetime``/``data-*``/``hx-vals`` attribute, a URL)."""

import re
from pathlib import Path

from django.conf import settings

TEMPLATES = Path(settings.BASE_DIR) / "templates"
# A fixed pattern in the date filter: ISO ("Y-m-d", "Y-m-d H:i"), or a word order of one language ("j F Y", "l j F").
FIXED = re.compile(r"""\|date:(["'])(?P<format>[^"']*[a-zA-Z][^"']*)\1""")
NAMED = {"DATE_FORMAT", "DATETIME_FORMAT", "SHORT_DATE_FORMAT", "SHORT_DATETIME_FORMAT", "YEAR_MONTH_FORMAT",
         "MONTH_DAY_FORMAT", "TIME_FORMAT", "c"}  # fmt: skip


def _inside_a_tag(text: str, at: int) -> bool:
    """True when ``at`` is within ``<...>`` (an attribute), not in the text between tags."""
    return text.rfind("<", 0, at) > text.rfind(">", 0, at)


def test_no_template_prints_a_fixed_date_pattern_for_people():
    found = []
    for path in sorted(TEMPLATES.rglob("*.html")) + sorted(TEMPLATES.rglob("*.txt")):
        text = path.read_text()
        for match in FIXED.finditer(text):
            if match["format"] in NAMED or _inside_a_tag(text, match.start()):
                continue
            line = text.count("\n", 0, match.start()) + 1
            found.append(f"{path.relative_to(TEMPLATES)}:{line}: {match.group(0)}")
    assert found == [], "use |day, |moment, |weekday or a named format (core/templatetags/formats.py):\n" + "\n".join(
        found
    )


def test_the_scan_tells_text_from_attributes():
    text = '<a href="?as_of={{ d|date:\'Y-m-d\' }}">{{ d|date:"Y-m-d" }}</a>'
    attribute, shown = (m.start() for m in FIXED.finditer(text))
    assert _inside_a_tag(text, attribute) and not _inside_a_tag(text, shown)
