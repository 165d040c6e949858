import datetime as dt
from decimal import Decimal

import factory

from clients.models import Client, ClientStatus, Contact, Handoff, HandoffStatus
from users.models import Role, Team, User


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Team {n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    role = Role.ACCOUNT_MANAGER
    password = factory.PostGenerationMethodCall("set_password", "correct-horse-battery")

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class ClientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Client

    name = factory.Sequence(lambda n: f"Client {n:04d}")
    external_id = factory.Sequence(lambda n: f"ACC{n:06d}")
    status = ClientStatus.ACTIVE
    arr = Decimal("50000")
    renewal_date = factory.LazyFunction(lambda: dt.date.today() + dt.timedelta(days=120))


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact

    client = factory.SubFactory(ClientFactory)
    first_name = factory.Sequence(lambda n: f"Contact{n}")
    last_name = "Example"
    email = factory.LazyAttribute(lambda c: f"{c.first_name.lower()}@example.com")


class HandoffFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Handoff

    client = factory.SubFactory(ClientFactory, status=ClientStatus.HANDOFF_PENDING, owner=None, team=None)
    deal_name = factory.Sequence(lambda n: f"Deal {n}")
    deal_external_id = factory.Sequence(lambda n: f"OPP{n:06d}")
    deal_amount = Decimal("120000")
    close_date = factory.LazyFunction(lambda: dt.date.today() - dt.timedelta(days=3))
    goals = "Cut delivery time by 20%."
    status = HandoffStatus.PENDING


def default_metric(key: str = "orders"):
    """The KPI from the data migration; transactional tests may run after a flush that removed it."""
    from kpis.models import Metric

    names = {"orders": ("Orders", "orders", True, "sum"), "revenue": ("Revenue", "EUR", True, "sum")}
    name, unit, higher, aggregation = names.get(key, (key.title(), "", True, "sum"))
    metric, _ = Metric.objects.get_or_create(
        key=key, defaults={"name": name, "unit": unit, "higher_is_better": higher, "aggregation": aggregation}
    )
    return metric
