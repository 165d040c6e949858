import functools
import zoneinfo

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


@functools.cache
def known_time_zones() -> frozenset[str]:
    # Reading the zone list walks the tz database on disk: once per process, not once per validation.
    return frozenset(zoneinfo.available_timezones())


def validate_time_zone(value: str) -> None:
    """An IANA zone name the server knows (Europe/Moscow, Asia/Shanghai), or blank for the company's."""
    if value and value not in known_time_zones():
        raise ValidationError(
            _("“%(zone)s” is not a time zone we know; pick one from the list."), params={"zone": value}
        )


class Role(models.TextChoices):
    ACCOUNT_MANAGER = "am", _("Account manager")
    TEAM_LEAD = "lead", _("Team lead")
    # Translators: the role of a salesperson (who hands clients over), not the act of selling.
    SALES = "sales", pgettext_lazy("role", "Sales")
    ADMIN = "admin", pgettext_lazy("role", "Admin")


class Team(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("team")
        verbose_name_plural = _("teams")

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    role = models.CharField(_("role"), max_length=10, choices=Role.choices, default=Role.ACCOUNT_MANAGER)
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="members", verbose_name=_("team")
    )
    # The user's id in the sales CRM (Salesforce OwnerId, HubSpot owner), used to match imports.
    sales_crm_id = models.CharField(_("sales CRM id"), max_length=64, blank=True, db_index=True)
    # Superseded by the per-kind choices of notifications.NotificationPreference (copied there by its migration);
    # kept so no data is dropped.
    daily_digest = models.BooleanField(_("daily digest e-mail"), default=True)
    in_app_notifications = models.BooleanField(_("in-app notifications"), default=True)
    # Blank means "as the browser says" (language) and "the company's zone" (settings.TIME_ZONE).
    # db_default: rows written by code that predates these fields (old migrations' states, raw SQL) get "" too.
    language = models.CharField(
        _("language"), max_length=10, blank=True, choices=settings.LANGUAGES, default="", db_default=""
    )
    time_zone = models.CharField(
        _("time zone"), max_length=64, blank=True, validators=[validate_time_zone], default="", db_default=""
    )

    class Meta:
        ordering = ["first_name", "last_name", "username"]
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    @property
    def is_admin_role(self) -> bool:
        return self.role == Role.ADMIN or self.is_superuser

    @property
    def is_team_lead(self) -> bool:
        return self.role == Role.TEAM_LEAD

    @property
    def is_account_manager(self) -> bool:
        return self.role == Role.ACCOUNT_MANAGER

    @property
    def is_sales(self) -> bool:
        return self.role == Role.SALES
