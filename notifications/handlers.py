"""Subscribers of other apps' events (registered in ``NotificationsConfig.ready``): who is told, and which webhooks.

``notifications`` may not import the apps it hears from, so each event carries what is needed to name things,
captured by the publishing app inside its transaction (README "Notifications"):

- ``display``: ``{"client": name, "url": local path, "figures": [[label key, value], ...], ...}`` plus the
  strings the kind's sentence names (``by``, ``deal``, ``reason``, ``title``, ``step``, ``playbook``, ``due``,
  ``excerpt``, ``variant``);
- ``to_user_ids`` (or ``to_user_id`` / ``owner_id`` / ``user_id``): who is told;
- ``by``: who acted (a user, never told of their own action), or ``by_id``;
- ids of the objects (``handoff``, ``client``, ``run_id``, ``step_id``, ``flag_ids``) for the webhook body.

A missing piece makes a plainer notification, never a failed action.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils import translation

from notifications import kinds
from notifications.services import EmittedEvent, notify, webhooks_emit
from notifications.webhooks import WebhookEvent

# Event names of the publishing apps (constants there; written here as strings: no import of a higher app).
HANDOFF_SENT = "clients.handoff_sent"
HANDOFF_ACCEPTED = "clients.handoff_accepted"
HANDOFF_RETURNED = "clients.handoff_returned"
CLIENT_ASSIGNED = "clients.client_assigned"
MENTIONED = "interactions.mentioned"
FLAGS_REASSIGNED = "flags.reassigned"
PLAYBOOK_RUN_STARTED = "playbooks.run_started"
PLAYBOOK_RUN_COMPLETED = "playbooks.run_completed"
PLAYBOOK_STEP_DUE = "playbooks.step_due"


def _user_ids(payload: dict[str, Any]) -> list[int]:
    ids = list(payload.get("to_user_ids") or [])
    for key in ("to_user_id", "owner_id", "user_id", "assigned_to_id"):
        if payload.get(key):
            ids.append(payload[key])
    for key in ("to", "owner", "assigned_to"):
        if getattr(payload.get(key), "pk", None):
            ids.append(payload[key].pk)
    return [int(pk) for pk in dict.fromkeys(ids)]


def _actor_id(payload: dict[str, Any]) -> int | None:
    by = payload.get("by")
    return getattr(by, "pk", None) or payload.get("by_id")


def _display(payload: dict[str, Any]) -> dict[str, Any]:
    """The publisher's display payload; without one, names read from the objects passed (``str()`` of each)."""
    display = dict(payload.get("display") or {})
    for key in ("by", "client", "step", "playbook", "title"):
        if key not in display and payload.get(key) is not None and not isinstance(payload[key], int | dict | list):
            display[key] = str(payload[key])
    if "count" not in display and isinstance(payload.get("flags"), list | tuple):
        display["count"] = len(payload["flags"])
    return display


def _object_id(payload: dict[str, Any], name: str) -> int | None:
    value = payload.get(name)
    return getattr(value, "pk", None) or payload.get(f"{name}_id")


def _text(kind: str, params: dict[str, Any]) -> str:
    """The sentence for a webhook (Slack) message: in the company's language."""
    with translation.override(settings.LANGUAGE_CODE):
        return kinds.headline(kind, params)


def _tell(kind: str, payload: dict[str, Any], *, key: str) -> dict[str, Any]:
    display = _display(payload)
    url = display.pop("url", "") or payload.get("url", "")
    notify(kind=kind, user_ids=_user_ids(payload), params=display, url=url, key=key, skip=_actor_id(payload))
    return {**display, "url": url}


def _emit(event: str, *, key: str, kind: str, display: dict[str, Any], data: dict[str, Any]) -> None:
    params = {k: v for k, v in display.items() if k != "url"}
    body = {**data, "client": display.get("client", ""), "by": display.get("by", "")}
    body["figures"] = dict(display.get("figures") or [])
    webhooks_emit(
        events=[EmittedEvent(event=event, key=key, data=body, text=_text(kind, params), url=display.get("url", ""))]
    )


def on_handoff_sent(**payload: Any) -> None:
    handoff_id = _object_id(payload, "handoff")
    key = f"handoff.sent:{handoff_id}:{payload.get('round', 1)}"
    display = _tell(kinds.Kind.HANDOFF_SENT, payload, key=key)
    data = {"handoff_id": handoff_id, "client_id": display.get("client_id")}
    _emit(WebhookEvent.HANDOFF_SENT, key=key, kind=kinds.Kind.HANDOFF_SENT, display=display, data=data)


def on_handoff_accepted(**payload: Any) -> None:
    handoff_id = _object_id(payload, "handoff")
    key = f"handoff.accepted:{handoff_id}"
    display = _tell(kinds.Kind.HANDOFF_ACCEPTED, payload, key=key) if payload.get("display") else _display(payload)
    data = {"handoff_id": handoff_id, "client_id": display.get("client_id")}
    _emit(WebhookEvent.HANDOFF_ACCEPTED, key=key, kind=kinds.Kind.HANDOFF_ACCEPTED, display=display, data=data)


def on_handoff_returned(**payload: Any) -> None:
    handoff_id = _object_id(payload, "handoff")
    key = f"handoff.returned:{handoff_id}:{payload.get('round', 1)}"
    display = _tell(kinds.Kind.HANDOFF_RETURNED, payload, key=key)
    data = {"handoff_id": handoff_id, "client_id": display.get("client_id"), "reason": display.get("reason", "")}
    _emit(WebhookEvent.HANDOFF_RETURNED, key=key, kind=kinds.Kind.HANDOFF_RETURNED, display=display, data=data)


def on_client_assigned(**payload: Any) -> None:
    _tell(
        kinds.Kind.CLIENT_ASSIGNED,
        payload,
        key=f"client.assigned:{_object_id(payload, 'client')}:{payload.get('version', '')}",
    )


def on_mentioned(**payload: Any) -> None:
    _tell(kinds.Kind.MENTION, payload, key=f"mention:{payload.get('interaction_id')}:{payload.get('version', 1)}")


def on_flags_reassigned(**payload: Any) -> None:
    if not payload.get("display") and payload.get("reason") in {"flag", "client_owner"}:
        # Flags publishes ids only: a single flag passed on is told by flags.notices.flag_reassigned_tell (with
        # its figures), and a client's flags that follow a new owner by the "client assigned to you" notice.
        return
    display = _display(payload)
    flag_ids = list(payload.get("flag_ids") or [getattr(f, "pk", f) for f in payload.get("flags") or []])
    if "title" not in display and len(flag_ids) != 1:
        display.setdefault("variant", "client")
        display.setdefault("count", len(flag_ids))
    payload = {**payload, "display": display}
    _tell(
        kinds.Kind.FLAG_REASSIGNED,
        payload,
        key=f"flags.reassigned:{','.join(map(str, flag_ids))}:{payload.get('version', '')}",
    )


def on_playbook_step_due(**payload: Any) -> None:
    _tell(
        kinds.Kind.PLAYBOOK_STEP_DUE,
        payload,
        key=f"playbook.step_due:{payload.get('step_id')}:{payload.get('due_on', '')}",
    )


def _playbook_data(payload: dict[str, Any]) -> dict[str, Any]:
    return {
        k: payload[k] if not hasattr(payload[k], "pk") else payload[k].pk
        for k in ("run_id", "playbook_id", "client_id", "flag_id", "version")
        if payload.get(k) is not None
    }


def on_playbook_run_started(**payload: Any) -> None:
    display = _display(payload)
    display.setdefault("text", " · ".join(str(display[k]) for k in ("client", "playbook") if display.get(k)))
    data = _playbook_data(payload)
    key = f"playbook.started:{data.get('run_id')}"
    _emit(WebhookEvent.PLAYBOOK_STARTED, key=key, kind="", display=display, data=data)


def on_playbook_run_completed(**payload: Any) -> None:
    display = _display(payload)
    display.setdefault("text", " · ".join(str(display[k]) for k in ("client", "playbook") if display.get(k)))
    data = _playbook_data(payload)
    key = f"playbook.completed:{data.get('run_id')}"
    _emit(WebhookEvent.PLAYBOOK_COMPLETED, key=key, kind="", display=display, data=data)


SUBSCRIPTIONS = {
    HANDOFF_SENT: on_handoff_sent,
    HANDOFF_ACCEPTED: on_handoff_accepted,
    HANDOFF_RETURNED: on_handoff_returned,
    CLIENT_ASSIGNED: on_client_assigned,
    MENTIONED: on_mentioned,
    FLAGS_REASSIGNED: on_flags_reassigned,
    PLAYBOOK_STEP_DUE: on_playbook_step_due,
    PLAYBOOK_RUN_STARTED: on_playbook_run_started,
    PLAYBOOK_RUN_COMPLETED: on_playbook_run_completed,
}
