"""The e-mail templates of playbook steps: ``{client_name}``-style placeholders filled with the client's fields.

Pure and deliberately small: only the names in ``PLACEHOLDERS`` exist (no attribute access, no code), so a
template cannot reach anything but what is listed here. An unknown name is refused when the playbook is saved.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from django.utils.translation import gettext_lazy as _

PLACEHOLDERS: dict[str, object] = {
    "client_name": _("the client's name"),
    "client_segment": _("the client's segment"),
    "renewal_date": _("the renewal date"),
    "contact_first_name": _("the contact's first name"),
    "contact_name": _("the contact's full name"),
    "am_name": _("the account manager's name"),
    "am_email": _("the account manager's e-mail"),
}

_FIELD = re.compile(r"\{([a-z_]+)\}")


def unknown_placeholders(text: str) -> list[str]:
    return sorted({name for name in _FIELD.findall(text or "") if name not in PLACEHOLDERS})


def render(text: str, values: Mapping[str, str]) -> str:
    """Fill the placeholders; a known one without a value becomes empty, an unknown one stays as written."""
    return _FIELD.sub(lambda m: str(values.get(m.group(1), "")) if m.group(1) in PLACEHOLDERS else m.group(0), text)
