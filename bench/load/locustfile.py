"""A day of account managers, for locust: the client list (filters, pages), a client page, the search box,
their day, and logging a call (a real POST through the quick-log form, CSRF and all).

Each simulated user logs in once through the login form as one of the demo AMs (password from the demo
seed) and then works their own portfolio, with a few seconds of thinking between clicks. Run by
bench/load/run.py against gunicorn + PostgreSQL on 127.0.0.1; never point it at anything else.
"""

from __future__ import annotations

import datetime as dt
import itertools
import random
import re

from locust import HttpUser, between, task

AMS = ["am_alice", "am_bob", "am_carla", "am_oscar", "am_olga", "am_pedro", "am_sofia", "am_sven", "am_tariq"]
PASSWORD = "demo-pass-2026"  # dashboards/demo_data.py
CLIENT_LINK = re.compile(r'href="/clients/(\d+)/"')
CLIENT_NAME = re.compile(r'href="/clients/\d+/"[^>]*>\s*([A-Z][^<]{2,})<')
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
STATUSES = ["", "active", "onboarding", "paused"]
SORTS = ["name", "-arr", "renewal_date", "status"]
SUMMARIES = [
    "Checked in after the rollout; volumes are back to normal.",
    "Walked through the renewal offer, they want a second quote.",
    "Escalation on late deliveries; promised a root-cause note by Friday.",
]
_accounts = itertools.cycle(AMS)


class AccountManager(HttpUser):
    wait_time = between(1, 4)

    def on_start(self) -> None:
        self.username = next(_accounts)
        page = self.client.get("/accounts/login/", name="login page")
        token = CSRF.search(page.text).group(1)
        with self.client.post(
            "/accounts/login/",
            {"username": self.username, "password": PASSWORD, "csrfmiddlewaretoken": token},
            headers={"Referer": f"{self.host}/accounts/login/"},
            name="login",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if response.status_code != 302:
                response.failure(f"login as {self.username} answered {response.status_code}")
        self.clients: list[str] = []  # seen in any list: own and teammates' (read-only) clients
        self.own: list[str] = []  # from "My clients": where this AM logs calls
        self.names: list[str] = []
        self._remember(self.client.get("/clients/", name="client list").text, own=True)

    def _remember(self, html: str, *, own: bool) -> None:
        found = list(dict.fromkeys(CLIENT_LINK.findall(html)))
        if found:
            self.clients = found
            if own:
                self.own = found
        self.names = ([n.strip() for n in CLIENT_NAME.findall(html)][:20] + self.names)[:50]

    @task(4)
    def client_list(self) -> None:
        params = {"status": random.choice(STATUSES), "ordering": random.choice(SORTS), "page": random.choice([1, 1, 2])}
        scope = random.choice(["/clients/", "/clients/", "/clients/team/"])
        response = self.client.get(scope, params=params, name="client list")
        if response.ok:
            self._remember(response.text, own=scope == "/clients/" and not params["status"])

    @task(4)
    def client_page(self) -> None:
        if not self.clients:
            return self.client_list()
        self.client.get(f"/clients/{random.choice(self.clients)}/", name="client page")

    @task(2)
    def search(self) -> None:
        word = random.choice(self.names).split()[0][:5] if self.names else random.choice(["Nord", "Al", "Tech"])
        self.client.get("/search/", params={"q": word}, name="search ?q=")

    @task(2)
    def my_day(self) -> None:
        self.client.get("/my-day/", name="my day")

    @task(1)
    def log_a_call(self) -> None:
        if not self.own:
            return self.client_list()
        url = f"/clients/{random.choice(self.own)}/interactions/new/"
        form = self.client.get(url, name="log a call (form)")
        match = CSRF.search(form.text)
        if not match:
            return None
        when = (dt.datetime.now() - dt.timedelta(minutes=random.randint(1, 600))).strftime("%Y-%m-%dT%H:%M")
        with self.client.post(
            url,
            {
                "csrfmiddlewaretoken": match.group(1),
                "kind": "call",
                "occurred_at": when,
                "summary": random.choice(SUMMARIES),
                "sentiment": random.choice(["positive", "neutral", "negative"]),
            },
            headers={"Referer": f"{self.host}{url}"},
            name="log a call (POST)",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if response.status_code != 302:
                response.failure(f"logging a call answered {response.status_code}: {response.text[:200]}")
        return None
