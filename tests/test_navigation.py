"""The top bar offers exactly the pages a user may open: both come from the same permission helpers."""

from __future__ import annotations

import pytest
from django.urls import reverse

# Top-bar entry -> the page it opens.
ENTRIES = {
    "my_day": "dashboards:my_day",
    "portfolio": "dashboards:portfolio",
    "accounts": "flags:list",
    "rules": "flags:evaluations",
    "sales_import": "clients:sales_import",
    "health_model": "health:model",
}
# Pages only some roles may open. The others (my day, flags, follow-ups, reviews) open for everyone,
# scoped to what the user may see; the top bar simply does not offer them where they would be empty.
GATED = {"portfolio", "rules", "sales_import", "health_model"}
EXPECTED = {
    "am_alice": {"my_day", "accounts"},
    "lead_lena": {"my_day", "portfolio", "accounts", "rules", "sales_import"},
    "sales_sam": {"sales_import"},
    "admin_ada": {"portfolio", "accounts", "rules", "sales_import", "health_model"},
}


@pytest.mark.parametrize("persona", sorted(EXPECTED))
def test_top_bar_shows_what_the_user_may_open_and_nothing_else(client, personas, persona):
    client.force_login(personas[persona])
    nav = client.get(reverse("clients:mine")).context["nav"]

    shown = {entry for entry in ENTRIES if nav[entry]}
    assert shown == EXPECTED[persona]
    for entry, url_name in ENTRIES.items():
        status = client.get(reverse(url_name)).status_code
        if entry in shown:
            assert status == 200, (entry, status)
        elif entry in GATED:
            assert status in {302, 403}, (entry, status)


def test_the_links_of_the_top_bar_follow_the_entries(client, sales_sam):
    client.force_login(sales_sam)
    body = client.get(reverse("clients:mine")).content.decode()
    assert reverse("clients:sales_import") in body
    assert reverse("dashboards:portfolio") not in body
    assert reverse("health:model") not in body
