"""The renewals board and the invoice/document pages in Chromium at 1366 and 390 px: moves by keyboard (the
Move menu) and by dragging, an upload and its download, nothing cut off on a phone."""

import datetime as dt
import pathlib
from decimal import Decimal

import pytest
from django.utils import timezone

from contracts import services as contract_services
from contracts.demo import demo_pdf
from contracts.models import Document, Renewal
from tests.browser.conftest import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}
SHOTS = pathlib.Path(__file__).resolve().parents[2] / "test-results"


def _no_horizontal_overflow(page):
    sizes = page.evaluate(
        "(() => { const m = document.querySelector('#main'); return [m.scrollWidth, m.clientWidth,"
        " document.documentElement.scrollWidth, window.innerWidth]; })()"
    )
    assert sizes[0] <= sizes[1] and sizes[2] <= sizes[3], sizes


def _shot(page, name):
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


@pytest.fixture
def renewals(am_alice, alice_client, admin_ada):
    today = timezone.localdate()
    contract_services.exchange_rate_set(by=admin_ada, currency="USD", date=today, rate=Decimal("0.9"))
    for number, value, currency, days in [("BRD-EUR", "24000", "EUR", 30), ("BRD-USD", "12000", "USD", 70)]:
        end = today + dt.timedelta(days=days)
        contract_services.contract_create(
            by=am_alice, client=alice_client, today=today, number=number, term_months=12, value=Decimal(value),
            start_date=contract_services.add_months(end + dt.timedelta(days=1), -12), currency=currency,
            status="active",
        )  # fmt: skip
    contract_services.renewals_open_due(today=today)
    return {r.contract.number: r for r in Renewal.objects.select_related("contract")}


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1366", "390"])
def test_board_moves_by_keyboard(page, am_alice, renewals, viewport):
    page.set_viewport_size(viewport)
    login(page, "am_alice")
    page.goto("/renewals/board/")
    card = page.locator(f"#renewal-{renewals['BRD-EUR'].pk}")
    card.wait_for()
    assert page.get_by_test_id("total-not_started").inner_text().startswith("34,800 EUR")
    select = card.get_by_label("Move Nordwind Logistics to")
    select.focus()
    select.select_option("in_progress")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    page.locator("section[data-stage=in_progress]").locator(f"#renewal-{renewals['BRD-EUR'].pk}").wait_for()
    assert "moved to In progress" in page.locator("#renewals-board").inner_text()
    assert Renewal.objects.get(pk=renewals["BRD-EUR"].pk).stage == "in_progress"
    _no_horizontal_overflow(page)
    _shot(page, f"renewals-board-{viewport['width']}")
    assert page.csp_violations == []


def test_board_moves_by_dragging(page, am_alice, renewals):
    page.set_viewport_size(DESKTOP)
    login(page, "am_alice")
    page.goto("/renewals/board/")
    card = page.locator(f"#renewal-{renewals['BRD-USD'].pk}")
    card.drag_to(page.locator("section[data-stage=committed]"))
    page.locator("section[data-stage=committed]").locator(f"#renewal-{renewals['BRD-USD'].pk}").wait_for()
    assert Renewal.objects.get(pk=renewals["BRD-USD"].pk).stage == "committed"


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1366", "390"])
def test_upload_list_and_download(page, am_alice, alice_client, tmp_path, viewport):
    today = timezone.localdate()
    contract_services.invoice_create(
        by=am_alice, client=alice_client, today=today, number="INV-LATE-2026-0042", amount=Decimal("1250.50"),
        currency="EUR", status="issued", issued_on=today - dt.timedelta(days=45),
    )  # fmt: skip
    pdf = tmp_path / "Акт сверки за ноябрь 2026 — Nordwind Logistics.pdf"
    pdf.write_bytes(demo_pdf("Act"))
    page.set_viewport_size(viewport)
    login(page, "am_alice")
    page.goto(f"/clients/{alice_client.pk}/documents/new/")
    page.get_by_label("Kind").select_option("closing")
    page.get_by_label("Signature", exact=False).first.select_option("awaiting")
    page.locator("input[type=file]").set_input_files(str(pdf))
    page.get_by_role("button", name="Upload").click()
    page.wait_for_url(lambda url: "/documents/?client=" in url)
    row = page.get_by_role("link", name="Акт сверки за ноябрь 2026 — Nordwind Logistics")
    row.wait_for()
    with page.expect_download() as info:
        row.click()
    assert info.value.suggested_filename == pdf.name
    assert pathlib.Path(info.value.path()).read_bytes() == pdf.read_bytes()
    _no_horizontal_overflow(page)
    _shot(page, f"documents-{viewport['width']}")
    page.get_by_role("button", name="Mark signed").click()
    page.get_by_text("marked signed").wait_for()
    assert Document.objects.get().signature == "signed"

    page.goto("/invoices/?overdue=on")
    page.get_by_role("link", name="INV-LATE-2026-0042").wait_for()
    assert "1,250.50 EUR" in page.get_by_test_id("open-total").inner_text()
    _no_horizontal_overflow(page)
    _shot(page, f"invoices-{viewport['width']}")
    assert page.csp_violations == []
