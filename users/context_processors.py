from users import permissions as rules


def navigation(request):
    """The top bar's entries for the signed-in user, decided by the permission helpers."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"nav": rules.navigation(user)}
