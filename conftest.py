"""Personas shared by every test (DESIGN.md): two AMs and their lead in one team, an AM of
another team, a sales rep and an admin; plus small factories for their clients."""

import pytest

from tests.factories import ClientFactory, ContactFactory, TeamFactory, UserFactory
from users.models import Role


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    """Hashing strength is not under test; MD5 keeps persona creation cheap."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path_factory):
    """Uploaded documents go to a temporary folder, never the checkout's media/."""
    settings.MEDIA_ROOT = str(tmp_path_factory.mktemp("media"))


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts in the default language: a request of a Russian-speaking user activates Russian for the
    thread (as LocaleMiddleware does for every request), and that must not carry over into the next test."""
    from django.utils import translation

    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _eager_celery(request):
    """Tasks run in-process unless a test opts into the real broker and worker (marker ``real_worker``)."""
    from accounts_crm.celery import app

    if request.node.get_closest_marker("real_worker"):
        yield
        return
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous


@pytest.fixture
def team_north(db):
    return TeamFactory(name="North")


@pytest.fixture
def team_south(db):
    return TeamFactory(name="South")


@pytest.fixture
def am_alice(team_north):
    return UserFactory(username="am_alice", first_name="Alice", role=Role.ACCOUNT_MANAGER, team=team_north)


@pytest.fixture
def am_bob(team_north):
    return UserFactory(username="am_bob", first_name="Bob", role=Role.ACCOUNT_MANAGER, team=team_north)


@pytest.fixture
def lead_lena(team_north):
    return UserFactory(username="lead_lena", first_name="Lena", role=Role.TEAM_LEAD, team=team_north)


@pytest.fixture
def am_oscar(team_south):
    return UserFactory(username="am_oscar", first_name="Oscar", role=Role.ACCOUNT_MANAGER, team=team_south)


@pytest.fixture
def sales_sam(db):
    return UserFactory(username="sales_sam", first_name="Sam", role=Role.SALES, sales_crm_id="005SAM")


@pytest.fixture
def admin_ada(db):
    return UserFactory(username="admin_ada", first_name="Ada", role=Role.ADMIN, is_staff=True, is_superuser=True)


@pytest.fixture
def personas(am_alice, am_bob, lead_lena, am_oscar, sales_sam, admin_ada):
    return {
        "am_alice": am_alice,
        "am_bob": am_bob,
        "lead_lena": lead_lena,
        "am_oscar": am_oscar,
        "sales_sam": sales_sam,
        "admin_ada": admin_ada,
    }


@pytest.fixture
def alice_client(am_alice, sales_sam):
    """An active client owned by Alice, sold by Sam (so Sam reads it, read-only)."""
    client = ClientFactory(name="Nordwind Logistics", owner=am_alice, team=am_alice.team, sales_owner=sales_sam)
    ContactFactory(client=client, first_name="Dora", role="decision_maker")
    return client


@pytest.fixture
def smtp_server(settings):
    """A real SMTP server on 127.0.0.1 (aiosmtpd) that Django's SMTP backend sends to for this test."""
    from tests.smtp import SmtpServer

    server = SmtpServer().start()
    for name, value in server.django_settings().items():
        setattr(settings, name, value)
    yield server
    server.stop()
