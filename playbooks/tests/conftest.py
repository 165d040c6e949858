import pytest

from playbooks import services
from playbooks.models import Trigger

STEPS = [
    {"kind": "call", "title": "Kick-off call", "offset_days": 2, "anchor": "start"},
    {"kind": "commitment", "title": "Send the plan", "offset_days": 3, "anchor": "previous"},
    {
        "kind": "email",
        "title": "Welcome e-mail",
        "contact_role": "decision_maker",
        "email_subject": "Welcome, {client_name}",
        "email_body": "Dear {contact_first_name}, I am {am_name}.",
        "offset_days": 1,
    },
]


@pytest.fixture
def playbook(admin_ada):
    return services.playbook_create(by=admin_ada, name="Onboarding", steps=STEPS, trigger=Trigger.MANUAL)
