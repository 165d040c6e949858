from django.core.exceptions import ValidationError
from django.db import transaction
from rest_framework.authtoken.models import Token

from users.models import User


@transaction.atomic
def api_token_rotate(*, user: User) -> Token:
    """Revoke the user's API token (if any) and issue a new one."""
    Token.objects.filter(user=user).delete()
    return Token.objects.create(user=user)


@transaction.atomic
def api_token_revoke(*, user: User) -> None:
    Token.objects.filter(user=user).delete()


@transaction.atomic
def preferences_update(*, user: User, language: str, time_zone: str) -> User:
    """Save the user's language and time zone (blank: the browser's language, the company's zone)."""
    errors: dict[str, list[str]] = {}
    for name, value in (("language", language), ("time_zone", time_zone)):
        try:
            User._meta.get_field(name).clean(value, user)
        except ValidationError as error:
            errors[name] = error.messages
    if errors:
        raise ValidationError(errors)
    user.language = language
    user.time_zone = time_zone
    user.save(update_fields=["language", "time_zone"])
    return user
