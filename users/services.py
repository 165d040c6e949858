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
