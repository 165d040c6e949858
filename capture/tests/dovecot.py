"""A private Dovecot (IMAP) on a free 127.0.0.1 port, started and stopped by the test (never a shared server)."""

from __future__ import annotations

import contextlib
import imaplib
import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

from tests.faults.conftest import Service, free_port, wait_until

DOVECOT = Path("/usr/sbin/dovecot")
PASSWORD = "capture-test-pass"

CONFIG = """
protocols = imap
listen = 127.0.0.1
base_dir = {home}/run
state_dir = {home}/state
instance_name = capture-test-{port}
log_path = {home}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_login_user = {login_user}
default_internal_user = {internal_user}
first_valid_uid = 1
mail_location = maildir:{home}/mail/%u
passdb {{
  driver = static
  args = password={password}
}}
userdb {{
  driver = static
  args = uid={mail_user} gid={mail_group} home={home}/home/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
"""


OAUTH2_PASSDB = """
passdb {{
  driver = oauth2
  mechanisms = xoauth2 oauthbearer
  args = {home}/oauth2.conf.ext
}}
"""

OAUTH2_CONF = """introspection_mode = post
introspection_url = {url}
username_attribute = username
active_attribute = active
active_value = true
"""


class PrivateDovecot:
    def __init__(self, *, oauth_introspection_url: str | None = None):
        """``oauth_introspection_url``: also accept XOAUTH2, asking that URL (RFC 7662) whether a token is good."""
        self.port = free_port()
        # Outside pytest's root-only folders: the mail processes run as an unprivileged user.
        self.home = Path(tempfile.mkdtemp(prefix="crm-capture-dovecot-"))
        me = pwd.getpwuid(os.getuid()).pw_name
        if os.geteuid() == 0:  # Dovecot refuses root for its login and mail processes
            login_user, internal_user, mail_user = "dovenull", "dovecot", "dovecot"
        else:
            login_user = internal_user = mail_user = me
        for sub in ("mail", "home"):
            (self.home / sub).mkdir()
            if os.geteuid() == 0:
                shutil.chown(self.home / sub, mail_user, mail_user)
        self.home.chmod(0o755)
        self.config = self.home / "dovecot.conf"
        config = CONFIG.format(
            home=self.home, port=self.port, password=PASSWORD, login_user=login_user,
            internal_user=internal_user, mail_user=mail_user, mail_group=mail_user,
        )  # fmt: skip
        if oauth_introspection_url:
            config = config.replace(
                "auth_mechanisms = plain login", "auth_mechanisms = plain login xoauth2 oauthbearer"
            )
            config += OAUTH2_PASSDB.format(home=self.home)
            (self.home / "oauth2.conf.ext").write_text(OAUTH2_CONF.format(url=oauth_introspection_url))
        self.config.write_text(config)
        self.service = Service(
            [str(DOVECOT), "-F", "-c", str(self.config)], env=dict(os.environ), log=self.home / "fg.log", cwd=self.home
        )

    def url(self, user: str = "crm", mailbox: str = "INBOX") -> str:
        return f"imap://{user}:{PASSWORD}@127.0.0.1:{self.port}/{mailbox}"

    def _answers(self) -> bool:
        try:
            conn = imaplib.IMAP4("127.0.0.1", self.port, timeout=2)
        except OSError:
            return False
        with contextlib.suppress(Exception):
            conn.logout()
        return True

    def start(self) -> PrivateDovecot:
        self.service.start()
        wait_until(self._answers, timeout=30, what="the private Dovecot")
        return self

    def kick(self, user: str = "crm") -> None:
        """Cut every open IMAP connection of ``user`` on the server side."""
        subprocess.run(["doveadm", "-c", str(self.config), "kick", user], capture_output=True, timeout=20)

    def stop(self) -> None:
        self.kick()
        self.service.stop()
        wait_until(lambda: not self._answers(), timeout=20, what="Dovecot to stop")

    def append(self, raw: bytes, *, user: str = "crm", mailbox: str = "INBOX") -> None:
        """Deliver a message the way a mail client files one: IMAP APPEND."""
        conn = imaplib.IMAP4("127.0.0.1", self.port, timeout=10)
        try:
            conn.login(user, PASSWORD)
            if mailbox != "INBOX":
                conn.create(mailbox)
            typ, data = conn.append(mailbox, None, None, raw)
            assert typ == "OK", data
        finally:
            conn.logout()

    def destroy(self) -> None:
        self.service.stop()
        shutil.rmtree(self.home, ignore_errors=True)
