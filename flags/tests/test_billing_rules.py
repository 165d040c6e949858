"""The billing rule kinds ("invoice overdue", "closing documents unsigned for N days"): the pure conditions, the
facts as of a day (paid or signed later does not rewrite an earlier day; a record typed in later is not read by an
earlier morning), the daily run, the health components they feed, and evidence read in each reader's language."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from contracts import services as contract_services
from contracts.demo import demo_pdf
from contracts.models import Invoice, InvoiceStatus, SignatureStatus
from contracts.selectors import billing_facts_as_of
from flags import evaluation, facts, rules
from flags.forms import PARAM_FIELDS
from flags.models import Flag, RuleKind, TriggerRule
from flags.rules import RuleInputs
from health import scoring
from tests.factories import ClientFactory

TODAY = dt.date(2026, 12, 3)


def check(kind, params, **inputs):
    spec = rules.validate(kind, params, {})
    return rules.evaluate(kind, spec, RuleInputs(client_id=1, **inputs), {})


class TestConditions:
    def test_invoice_overdue_by_more_than_the_days(self):
        late = (("INV-7", 20, "12500.00", "EUR"), ("INV-9", 5, "300.00", "USD"))
        match = check("invoice_overdue", {"min_days": 14}, overdue_invoices=late)
        assert match.evidence == "1 invoice overdue: INV-7, 12,500 EUR, 20 days late"
        assert (match.measure, match.data["count"]) == (20.0, 1)
        both = check("invoice_overdue", {"min_days": 0}, overdue_invoices=late)
        assert both.evidence == "2 invoices overdue: INV-7, 12,500 EUR, 20 days late; INV-9, 300 USD, 5 days late"
        assert check("invoice_overdue", {"min_days": 30}, overdue_invoices=late) is None
        assert check("invoice_overdue", {}, overdue_invoices=()) is None

    def test_closing_documents_waiting_longer_than_the_days(self):
        waiting = (("Act for October", 34), ("Act for November", 3))
        match = check("closing_documents_unsigned", {"days": 30}, unsigned_closing_documents=waiting)
        assert match.evidence == "1 closing document waits for the client's signature: “Act for October” 34 days"
        assert match.measure == 34.0
        assert check("closing_documents_unsigned", {"days": 40}, unsigned_closing_documents=waiting) is None

    def test_parameters_are_checked_and_defaulted(self):
        assert rules.validate("invoice_overdue", {}, {}) == {"min_days": 7}
        assert rules.validate("closing_documents_unsigned", {}, {}) == {"days": 30}
        with pytest.raises(rules.RuleError, match="'days' must be between 1 and 365"):
            rules.validate("closing_documents_unsigned", {"days": 0}, {})
        with pytest.raises(rules.RuleError, match="whole number of days"):
            rules.validate("invoice_overdue", {"min_days": 2.5}, {})

    def test_they_are_kinds_with_their_form_fields(self):
        assert {"invoice_overdue", "closing_documents_unsigned"} <= set(RuleKind.values)
        assert PARAM_FIELDS["invoice_overdue"] == ["min_days"]
        assert PARAM_FIELDS["closing_documents_unsigned"] == ["days"]
        assert rules.needs_billing("invoice_overdue") and not rules.needs_billing("kpi_drop")


@pytest.fixture
def billed(am_alice):
    """A client with an invoice due 40 days before TODAY and paid 10 days before it, one due 20 days before and
    never paid, a draft, and an act sent for signature 50 days before TODAY and signed 5 days before it."""
    client = ClientFactory(owner=am_alice, team=am_alice.team, status="active")
    with time_machine.travel(dt.datetime(2026, 9, 1, 9, tzinfo=dt.UTC), tick=False):
        paid_late = contract_services.invoice_create(
            by=am_alice, client=client, today=TODAY - dt.timedelta(days=70), number="INV-1", amount=Decimal("1000"),
            currency="EUR", status=InvoiceStatus.ISSUED, issued_on=TODAY - dt.timedelta(days=70),
            due_on=TODAY - dt.timedelta(days=40),
        )  # fmt: skip
        contract_services.invoice_update(
            invoice=paid_late, by=am_alice, expected_version=paid_late.version, today=TODAY,
            paid_on=TODAY - dt.timedelta(days=10),
        )  # fmt: skip
        contract_services.invoice_create(
            by=am_alice, client=client, today=TODAY - dt.timedelta(days=50), number="INV-2", amount=Decimal("2500"),
            currency="USD", status=InvoiceStatus.ISSUED, issued_on=TODAY - dt.timedelta(days=50),
            due_on=TODAY - dt.timedelta(days=20),
        )  # fmt: skip
        contract_services.invoice_create(
            by=am_alice, client=client, today=TODAY, number="INV-3", amount=Decimal("99"), currency="EUR",
            status=InvoiceStatus.DRAFT,
        )  # fmt: skip
        act = contract_services.document_upload(
            by=am_alice, client=client, today=TODAY - dt.timedelta(days=50),
            upload=SimpleUploadedFile("act.pdf", demo_pdf("Act"), content_type="application/pdf"),
            kind="closing", title="Act for September", signature=SignatureStatus.AWAITING,
            awaiting_since=TODAY - dt.timedelta(days=50),
        )  # fmt: skip
        contract_services.document_update(
            document=act, by=am_alice, expected_version=act.version, today=TODAY,
            signature=SignatureStatus.SIGNED, signed_on=TODAY - dt.timedelta(days=5),
        )  # fmt: skip
    return client


@pytest.mark.django_db
class TestFactsAsOfADay:
    def test_paid_and_signed_later_still_count_on_the_days_before(self, billed):
        before = billing_facts_as_of(client_ids=[billed.pk], day=TODAY - dt.timedelta(days=15))[billed.pk]
        assert before.invoices_issued == 2  # not the draft
        assert before.overdue_invoices == [("INV-1", 25, "1000.00", "EUR"), ("INV-2", 5, "2500.00", "USD")]
        assert before.unsigned_closing_documents == [("Act for September", 35)]
        now = billing_facts_as_of(client_ids=[billed.pk], day=TODAY)[billed.pk]
        assert now.overdue_invoices == [("INV-2", 20, "2500.00", "USD")]
        assert (now.closing_documents, now.unsigned_closing_documents) == (1, [])

    def test_before_anything_was_due_or_sent_nothing_is_late(self, billed):
        early = billing_facts_as_of(client_ids=[billed.pk], day=TODAY - dt.timedelta(days=60))[billed.pk]
        assert (early.invoices_issued, early.overdue_invoices, early.closing_documents) == (1, [], 0)

    def test_a_record_typed_in_after_a_morning_is_not_read_by_that_morning(self, billed, am_alice):
        with time_machine.travel(dt.datetime(2026, 12, 2, 15, tzinfo=dt.UTC), tick=False):
            contract_services.invoice_create(
                by=am_alice, client=billed, today=TODAY, number="INV-4", amount=Decimal("10"), currency="EUR",
                status=InvoiceStatus.ISSUED, issued_on=dt.date(2026, 10, 1), due_on=dt.date(2026, 10, 31),
            )  # fmt: skip
        morning = dt.datetime(2026, 12, 2, 6, tzinfo=dt.UTC)
        day = dt.date(2026, 12, 2)
        seen = billing_facts_as_of(client_ids=[billed.pk], day=day, recorded_by=morning)[billed.pk]
        assert [item[0] for item in seen.overdue_invoices] == ["INV-2"]
        replayed = facts.facts_as_of(client_ids=[billed.pk], day=day, known_at=morning, billing=True)
        assert [item[0] for item in replayed[0].inputs.overdue_invoices] == ["INV-2"]
        as_it_stands = facts.facts_as_of(client_ids=[billed.pk], day=day, billing=True)
        assert [item[0] for item in as_it_stands[0].inputs.overdue_invoices] == ["INV-4", "INV-2"]


@pytest.mark.django_db
def test_the_daily_run_opens_and_closes_billing_flags(billed, am_alice):
    invoices = TriggerRule.objects.create(name="Invoice overdue", kind="invoice_overdue", params={"min_days": 14})
    acts = TriggerRule.objects.create(name="Acts unsigned", kind="closing_documents_unsigned", params={"days": 30})
    earlier = TODAY - dt.timedelta(days=15)
    with time_machine.travel(dt.datetime.combine(earlier, dt.time(6), tzinfo=dt.UTC), tick=False):
        evaluation.evaluate_day_inline(on_date=earlier)
    opened = {flag.rule_id: flag for flag in Flag.objects.filter(client=billed)}
    assert set(opened) == {invoices.pk, acts.pk}
    assert opened[invoices.pk].evidence == "1 invoice overdue: INV-1, 1,000 EUR, 25 days late"
    assert opened[acts.pk].assigned_to == am_alice
    with time_machine.travel(dt.datetime.combine(TODAY, dt.time(6), tzinfo=dt.UTC), tick=False):
        evaluation.evaluate_day_inline(on_date=TODAY)
    invoice_flag = Flag.objects.get(pk=opened[invoices.pk].pk)
    assert invoice_flag.status == "open"  # INV-2 is now 20 days late
    assert invoice_flag.evidence == "1 invoice overdue: INV-2, 2,500 USD, 20 days late"
    assert Flag.objects.get(pk=opened[acts.pk].pk).status == "resolved"  # signed five days ago


@pytest.mark.django_db
def test_evidence_reads_in_each_readers_language(billed):
    TriggerRule.objects.create(name="Invoice overdue", kind="invoice_overdue", params={"min_days": 0})
    with time_machine.travel(dt.datetime.combine(TODAY, dt.time(6), tzinfo=dt.UTC), tick=False):
        evaluation.evaluate_day_inline(on_date=TODAY)
    flag = Flag.objects.get(client=billed)
    assert flag.data["said"]["key"] == "flags.invoice_overdue"
    assert flag.evidence_text == flag.evidence == "1 invoice overdue: INV-2, 2,500 USD, 20 days late"
    with translation.override("ru"):
        russian = flag.evidence_text
    with translation.override("zh-hans"):
        chinese = flag.evidence_text
    # The amount is grouped as each language groups it, from the same stored figures.
    assert "2\xa0500 USD" in russian and "2,500 USD" in chinese
    assert russian != flag.evidence


class TestHealthComponents:
    def spec(self, kind):
        return scoring.parse_model([{"kind": kind, "weight": 1}], green_min=70, yellow_min=40)

    def test_payments(self):
        spec = self.spec(scoring.PAYMENTS)
        none = scoring.score_client(scoring.ClientInputs(1), spec, {})
        assert none.components[0].missing and none.components[0].explanation.startswith("No invoices issued")
        paid = scoring.score_client(scoring.ClientInputs(1, invoices_issued=3), spec, {})
        assert paid.score == 100.0 and paid.components[0].explanation == "No invoice overdue (3 issued)"
        late = scoring.score_client(
            scoring.ClientInputs(1, invoices_issued=3, invoices_overdue=2, oldest_overdue_days=45), spec, {}
        )
        assert late.score == 50.0 and late.components[0].explanation == "2 invoices overdue; the oldest 45 days late"

    def test_closing_documents(self):
        spec = self.spec(scoring.CLOSING_DOCUMENTS)
        waiting = scoring.ClientInputs(1, closing_documents=2, closing_documents_unsigned=1, oldest_unsigned_days=90)
        result = scoring.score_client(waiting, spec, {})
        assert result.score == 0.0
        assert result.components[0].explanation == "1 closing document unsigned; the oldest waits 90 days"
        assert result.components[0].label == "Closing documents signed"

    @pytest.mark.django_db
    def test_the_score_reads_the_clients_billing(self, billed):
        from health import selectors as health_selectors

        spec = scoring.parse_model(
            [{"kind": scoring.PAYMENTS, "weight": 1}, {"kind": scoring.CLOSING_DOCUMENTS, "weight": 1}],
            green_min=70,
            yellow_min=40,
        )
        (inputs,) = health_selectors.score_inputs(on_date=TODAY, spec=spec, client_ids=[billed.pk])
        assert (inputs.invoices_issued, inputs.invoices_overdue, inputs.oldest_overdue_days) == (2, 1, 20)
        assert (inputs.closing_documents, inputs.closing_documents_unsigned) == (1, 0)


@pytest.mark.django_db
def test_a_payment_settles_the_flag_at_once(billed, am_alice):
    TriggerRule.objects.create(name="Invoice overdue", kind="invoice_overdue", params={"min_days": 0})
    TriggerRule.objects.create(name="Acts unsigned", kind="closing_documents_unsigned", params={"days": 30})
    with time_machine.travel(dt.datetime.combine(TODAY, dt.time(6), tzinfo=dt.UTC), tick=False):
        evaluation.evaluate_day_inline(on_date=TODAY)
    flag = Flag.objects.get(client=billed)
    assert flag.rule.kind == "invoice_overdue"
    unpaid = Invoice.objects.get(number="INV-2")
    contract_services.invoice_update(
        invoice=unpaid, by=am_alice, expected_version=unpaid.version, today=TODAY, paid_on=TODAY
    )
    flag.refresh_from_db()
    assert (flag.status, flag.resolution, flag.closed_on, flag.resolved_by) == ("resolved", "cleared", TODAY, am_alice)
