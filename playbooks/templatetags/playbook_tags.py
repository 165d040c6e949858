"""``{% playbook_my_day %}``: the playbook steps waiting for the viewer that are not follow-ups (e-mails to send).
Follow-up steps already show on My day as follow-ups; this adds only what they cannot carry."""

from django import template
from django.utils import timezone

from playbooks import selectors

register = template.Library()


@register.inclusion_tag("playbooks/_my_day.html", takes_context=True)
def playbook_my_day(context):
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"playbook_steps": []}
    return {"playbook_steps": selectors.my_open_steps(user=user), "today": timezone.localdate()}
