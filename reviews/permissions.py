"""Who may see and change reviews and account plans: the same people as for their client.

Not found and forbidden look the same (404).
"""

from __future__ import annotations

from django.db.models import Q
from django.http import Http404
from django.utils.translation import gettext as _

from clients.permissions import client_can_edit
from reviews.models import AccountReview
from users import permissions as rules
from users.models import User


def review_visibility_q(user: User) -> Q:
    return rules.portfolio_q(user, prefix="client__")


def review_get_for_user(*, user: User, pk: int) -> AccountReview:
    review = (
        AccountReview.objects.filter(review_visibility_q(user), pk=pk)
        .select_related("client", "client__owner", "client__team", "prepared_by", "closed_by")
        .first()
    )
    if review is None:
        raise Http404(_("No such review."))
    return review


def review_can_edit(*, user: User, review: AccountReview) -> bool:
    return client_can_edit(user=user, client=review.client)
