"""The mixed-load benchmark's users (locust; bench/mixed_load.py runs it headless).

Every simulated user is a seat in one neighbourhood (a community): its resident, grid
worker, community dispatcher, department liaison and street officer, and the API client,
each with their own logged-in session (made by mixed_load.py, passed in LOAD_SPEC). Each
request draws its endpoint from the fixed weights below with the seat's own seeded random
stream, so the mix of endpoints does not depend on how fast each one answers.

LOAD_MODE=floor: every request is the floor, a minimal authenticated Django view.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import os
import random
import re
from pathlib import Path
from typing import Any

from locust import FastHttpUser, task
from locust.contrib.fasthttp import FastHttpSession

SPEC: dict[str, Any] = json.loads(Path(os.environ["LOAD_SPEC"]).read_text(encoding="utf-8"))
MODE = os.environ.get("LOAD_MODE", "mixed")
SEATS = itertools.count()
CASE_LINK = re.compile(r'href="/cases/(\d{10,24})/"')

# (name, role, weight): what a district's day is made of, per 100 requests.
ENDPOINTS: list[tuple[str, str, int]] = [
    # residents filing and following
    ("resident: workbench", "resident", 5),
    ("resident: my cases", "resident", 6),
    ("resident: a case of mine", "resident", 6),
    ("resident: the filing form", "resident", 4),
    ("resident: file a case [write]", "resident", 8),
    # grid workers
    ("grid: workbench", "grid", 4),
    ("grid: case desk", "grid", 4),
    ("grid: a household", "grid", 3),
    ("grid: search", "grid", 2),
    ("grid: inbox", "grid", 2),
    # community dispatchers
    ("community: case desk", "community", 4),
    ("community: waiting to accept", "community", 3),
    ("community: accept a case [write]", "community", 4),
    ("community: a case", "community", 3),
    # handlers (department liaisons)
    ("handler: case desk", "handler", 4),
    ("handler: a case", "handler", 3),
    # street officers
    ("street: cockpit", "street", 4),
    ("street: briefing", "street", 3),
    ("street: residents drill list", "street", 2),
    ("street: case desk", "street", 3),
    # API clients (a hotline system, a city app)
    ("api: services", "api", 3),
    ("api: requests of the last hour", "api", 3),
    ("api: open requests", "api", 2),
    ("api: a request", "api", 3),
    ("api: file a request [write]", "api", 7),
]
NAMES = [e[0] for e in ENDPOINTS]
WEIGHTS = [e[2] for e in ENDPOINTS]


class Seat(FastHttpUser):
    """One neighbourhood's people, taking turns."""

    def on_start(self) -> None:
        index = next(SEATS)
        seats = SPEC["seats"]
        self.seat = seats[index % len(seats)]
        self.rng = random.Random(SPEC["seed"] + index)
        self.sessions: dict[str, FastHttpSession] = {}
        self.host_header = self.host.split("://", 1)[1]

    wait_time = staticmethod(lambda: 0)

    # ------------------------------------------------------------ plumbing

    def _client(self, role: str) -> FastHttpSession:
        if role not in self.sessions:
            self.sessions[role] = FastHttpSession(
                base_url=self.host,
                request_event=self.environment.events.request,
                user=self,
                insecure=True,
            )
        return self.sessions[role]

    def _headers(self, role: str, path: str = "/") -> dict[str, str]:
        persona = self.seat[role]
        headers = {
            "X-Forwarded-Proto": "https",  # what nginx in front sets (TLS ends there)
            "X-Real-IP": persona["ip"],
            "Accept-Language": "zh-CN",
        }
        if "session" in persona:
            headers["Cookie"] = f"sessionid={persona['session']}; csrftoken={persona['csrf']}"
            headers["Referer"] = f"https://{self.host_header}{path}"
        return headers

    def get(self, role: str, path: str, name: str) -> str:
        with self._client(role).get(
            path, headers=self._headers(role), name=name, catch_response=True
        ) as r:
            if r.status_code != 200:
                r.failure(f"{r.status_code}")
                return ""
            r.success()
            return r.text or ""

    def post(self, role: str, path: str, name: str, data: dict[str, str], ok: int) -> None:
        persona = self.seat[role]
        form = {**data}
        if "csrf" in persona:
            form["csrfmiddlewaretoken"] = persona["csrf"]
        with self._client(role).post(
            path,
            data=form,
            headers=self._headers(role, path),
            name=name,
            catch_response=True,
            allow_redirects=False,
        ) as r:
            if r.status_code != ok:
                r.failure(f"{r.status_code}: {(r.text or '')[:200]}")
            else:
                r.success()

    def text(self) -> str:
        return self.rng.choice(SPEC["texts"])

    # ------------------------------------------------------------ the day

    @task
    def one(self) -> None:
        if MODE == "floor":
            role = self.rng.choice(["resident", "grid", "community", "handler", "street"])
            self.get(role, "/bench/floor/", "floor: minimal authenticated view")
            return
        name = self.rng.choices(NAMES, WEIGHTS)[0]
        getattr(self, "do_" + re.sub(r"\W+", "_", name.split(" [")[0]).strip("_"))(name)

    def do_resident_workbench(self, name: str) -> None:
        self.get("resident", "/", name)

    def do_resident_my_cases(self, name: str) -> None:
        self.get("resident", "/cases/mine/", name)

    def do_resident_a_case_of_mine(self, name: str) -> None:
        self.get("resident", f"/cases/{self.rng.choice(self.seat['resident']['cases'])}/", name)

    def do_resident_the_filing_form(self, name: str) -> None:
        self.get("resident", "/cases/new/", name)

    def do_resident_file_a_case(self, name: str) -> None:
        me = self.seat["resident"]
        self.post(
            "resident",
            "/cases/new/",
            name,
            {
                "kind": "request",
                "category": str(self.rng.choice(SPEC["categories"])),
                "title": "",
                "description": self.text(),
                "where": "building",
                "building": str(me["home"]),
            },
            302,
        )

    def do_grid_workbench(self, name: str) -> None:
        self.get("grid", "/", name)

    def do_grid_case_desk(self, name: str) -> None:
        self.get("grid", "/cases/", name)

    def do_grid_a_household(self, name: str) -> None:
        self.get("grid", f"/households/{self.rng.choice(self.seat['grid']['households'])}/", name)

    def do_grid_search(self, name: str) -> None:
        self.get("grid", f"/search/?q={self.rng.choice(SPEC['surnames'])}", name)

    def do_grid_inbox(self, name: str) -> None:
        self.get("grid", "/inbox/", name)

    def do_community_case_desk(self, name: str) -> None:
        self.get("community", "/cases/", name)

    def do_community_waiting_to_accept(self, name: str) -> None:
        self.get("community", "/cases/?status=submitted", name)

    def do_community_accept_a_case(self, name: str) -> None:
        page = self.get("community", "/cases/?status=submitted", "community: waiting to accept")
        numbers = CASE_LINK.findall(page)
        if numbers:
            number = self.rng.choice(numbers)
            self.post("community", f"/cases/{number}/move/accept/", name, {}, 302)

    def do_community_a_case(self, name: str) -> None:
        self.get("community", f"/cases/{self.rng.choice(self.seat['community']['cases'])}/", name)

    def do_handler_case_desk(self, name: str) -> None:
        self.get("handler", "/cases/", name)

    def do_handler_a_case(self, name: str) -> None:
        self.get("handler", f"/cases/{self.rng.choice(self.seat['handler']['cases'])}/", name)

    def do_street_cockpit(self, name: str) -> None:
        self.get("street", f"/cockpit/{self.seat['street']['org']}/", name)

    def do_street_briefing(self, name: str) -> None:
        self.get("street", f"/cockpit/{self.seat['street']['org']}/briefing/", name)

    def do_street_residents_drill_list(self, name: str) -> None:
        self.get("street", f"/cockpit/{self.seat['street']['org']}/list/residents/", name)

    def do_street_case_desk(self, name: str) -> None:
        self.get("street", "/cases/", name)

    def do_api_services(self, name: str) -> None:
        self.get("api", "/open311/v2/services.json", name)

    def do_api_requests_of_the_last_hour(self, name: str) -> None:
        # what a hotline system polls for: what came in since it last asked
        since = (dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
        self.get("api", f"/open311/v2/requests.json?start_date={since}", name)

    def do_api_open_requests(self, name: str) -> None:
        self.get("api", "/open311/v2/requests.json?status=open", name)

    def do_api_a_request(self, name: str) -> None:
        number = self.rng.choice(self.seat["community"]["cases"])
        self.get("api", f"/open311/v2/requests/{number}.json", name)

    def do_api_file_a_request(self, name: str) -> None:
        self.post(
            "api",
            "/open311/v2/requests.json",
            name,
            {
                "api_key": SPEC["api_key"],
                "service_code": self.rng.choice(SPEC["service_codes"]),
                "description": self.text(),
                "address_id": str(self.seat["resident"]["home"]),
            },
            200,
        )
