"""The choices a user sees for language and time zone, shared by the preferences form and the API."""

from __future__ import annotations

import zoneinfo
from functools import cache

from django.conf import settings
from django.utils.translation import gettext_lazy as _


def language_choices() -> list[tuple[str, str]]:
    return [("", _("As my browser says")), *settings.LANGUAGES]


@cache
def time_zone_names() -> tuple[str, ...]:
    # Region/City names only: the bare aliases ("EST", "Etc/GMT+3") confuse more than they help.
    return tuple(
        sorted(
            name for name in zoneinfo.available_timezones() if "/" in name and not name.startswith(("Etc/", "SystemV/"))
        )
    )


def time_zone_choices() -> list[tuple[str, str]]:
    company = settings.TIME_ZONE
    return [
        ("", _("The company's time zone (%(zone)s)") % {"zone": company}),
        *((name, name.replace("_", " ")) for name in time_zone_names()),
    ]
