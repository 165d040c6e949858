"""The choices a user sees for language and time zone, shared by the preferences form and the API."""

from __future__ import annotations

from functools import cache

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from users.models import known_time_zones


def language_of(user) -> str:
    """The language to write to this user in when no browser is there to ask (e-mails, the digest): their choice,
    else the company's default."""
    return getattr(user, "language", "") or settings.LANGUAGE_CODE


def language_choices() -> list[tuple[str, str]]:
    return [("", _("As my browser says")), *settings.LANGUAGES]


@cache
def time_zone_names() -> tuple[str, ...]:
    # Region/City names only: the bare aliases ("EST", "Etc/GMT+3") confuse more than they help.
    return tuple(
        sorted(
            name for name in known_time_zones() if "/" in name and not name.startswith(("Etc/", "SystemV/"))
        )
    )


def time_zone_choices() -> list[tuple[str, str]]:
    company = settings.TIME_ZONE
    return [
        ("", _("The company's time zone (%(zone)s)") % {"zone": company}),
        *((name, name.replace("_", " ")) for name in time_zone_names()),
    ]
