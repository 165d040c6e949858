"""A real SMTP server for tests (aiosmtpd) on a free port of 127.0.0.1, recording what it accepted.

``server.replies`` holds answers to give instead of accepting, one per message, e.g. a transient
"451 4.3.0 Try again later" or a permanent "550 5.1.1 No such user".
"""

from __future__ import annotations

import email
import socket
import threading
from email.message import Message

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class SmtpServer:
    def __init__(self) -> None:
        self.port = free_port()
        self.messages: list[Message] = []
        self.replies: list[str] = []
        self._lock = threading.Lock()
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd's handler hook
        with self._lock:
            if self.replies:
                return self.replies.pop(0)
            message = email.message_from_bytes(envelope.original_content or envelope.content)
            message["X-Test-Rcpt"] = ", ".join(envelope.rcpt_tos)
            self.messages.append(message)
        return "250 2.0.0 Message accepted for delivery"

    def start(self) -> SmtpServer:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()

    def recipients(self) -> list[str]:
        return sorted(m["X-Test-Rcpt"] for m in self.messages)

    def django_settings(self) -> dict:
        return {
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": self.port,
            "EMAIL_USE_TLS": False,
            "EMAIL_HOST_USER": "",
            "EMAIL_HOST_PASSWORD": "",
            "EMAIL_TIMEOUT": 10,
        }

    def env(self) -> dict[str, str]:
        """For a worker process: settings.py reads these."""
        return {"EMAIL_HOST": "127.0.0.1", "EMAIL_PORT": str(self.port), "EMAIL_USE_TLS": "0"}
