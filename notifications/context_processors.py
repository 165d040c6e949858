from notifications.selectors import unread_count


def notifications(request):
    """Unread notifications for the bell in the top bar (one small indexed query)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"unread_notifications": unread_count(user=user)}
