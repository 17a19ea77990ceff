"""The load of one district's working day, for Locust (bench/bench_load.py runs it headless).

Three kinds of users, signed in like real ones (the sign-in page; district staff then the
6-digit code of their authenticator, computed here from the device's key as the app does):

- 300 child directors: "my work", the page of one of their children, a visit logged through
  the API as the phone sends it (session cookie and the page's CSRF token, a fresh client id;
  one in ten sent again at once, which must answer 200 with the same visit; a send that fails
  stays in the phone's outbox and goes again with the same id), a child registered now and
  then (with a client token);
- 30 supervisors: the town's dashboard, a report's page (its steps), the inspection list and
  an inspection's page;
- 5 district staff: the district's lists (children, reports, visits) and a statistics
  workbook export job, started through the API and polled until it is ready (the entry
  "export job (to ready)"), then downloaded; one per BENCH_LOAD_EXPORT_EVERY seconds (240) and
  person.

Input: BENCH_LOAD_USERS (the JSON of bench/load/setup.py). Output, in BENCH_LOAD_OUT, one file
per process: `sent-<pid>.jsonl`, every visit the server acknowledged (client id, child, the
visit's id) and the ones still in an outbox at the end; `failures-<pid>.jsonl`, each failed
request with its time (the driver sorts them into fault windows); `signins-<pid>.jsonl`, the
time of each sign-in step (Locust's statistics are reset once every user has started, so
that they describe the working day, not the morning's sign-in rush). BENCH_LOAD_THINK: the
seconds a user waits between two actions, "min,max" (default 10,30).
"""

from __future__ import annotations

import datetime
import itertools
import json
import os
import random
import re
import sys
import time
import uuid
from pathlib import Path
from typing import Any

from locust import HttpUser, between, events, task

sys.path.insert(0, str(Path(__file__).resolve().parent))

from codes import id_number, totp

USERS: dict[str, Any] = json.loads(Path(os.environ["BENCH_LOAD_USERS"]).read_text())
OUT = Path(os.environ.get("BENCH_LOAD_OUT", "."))
THINK = tuple(float(x) for x in os.environ.get("BENCH_LOAD_THINK", "10,30").split(","))
TODAY = datetime.date.fromisoformat(USERS["today"])
AREAS = ("safety", "guardianship", "schooling", "health", "mental", "living")
CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
CSRF_HEADER = re.compile(r"hx-headers='([^']+)'")
SURNAMES = "赵钱孙李周吴郑王冯陈褚卫蒋沈韩杨朱秦尤许何吕施张"
GIVEN = "基准测载荷压峰谷浪潮汐霁"


def _open(kind: str) -> Any:
    OUT.mkdir(parents=True, exist_ok=True)
    return open(OUT / f"{kind}-{os.getpid()}.jsonl", "a", encoding="utf-8")


SENT = _open("sent")
FAILURES = _open("failures")
SIGN_INS = _open("signins")


def _write(stream: Any, row: dict[str, Any]) -> None:
    stream.write(json.dumps(row, ensure_ascii=False) + "\n")
    stream.flush()


@events.request.add_listener
def _failure(
    name: str, exception: Any, response: Any, response_time: float, **_kwargs: Any
) -> None:
    if name.startswith("sign in"):  # kept apart: the statistics are reset after the ramp
        _write(SIGN_INS, {"t": time.time(), "name": name, "ms": response_time})
    if exception is not None:
        status = getattr(response, "status_code", 0) if response is not None else 0
        _write(
            FAILURES,
            {"t": time.time(), "name": name, "status": status, "error": str(exception)[:300]},
        )


class Signed(HttpUser):
    """A person of the district, signed in through the sign-in page."""

    abstract = True
    wait_time = between(*THINK)
    accounts: Any = None
    csrf = ""

    def account(self) -> dict[str, Any]:
        return dict(next(type(self).accounts))

    def sign_in(self, username: str, totp_key: str | None = None) -> None:
        page = self.client.get("/accounts/login/", name="sign-in page")
        token = CSRF_FIELD.search(page.text)
        if token is None:
            raise RuntimeError(f"no sign-in form ({page.status_code})")
        with self.client.post(
            "/accounts/login/",
            {"username": username, "password": USERS["password"], "csrfmiddlewaretoken": token[1]},
            name="sign in",
            catch_response=True,
        ) as answer:
            if totp_key is None:
                if "/accounts/login/" in answer.url:
                    answer.failure(f"{username} not signed in")
            elif not answer.url.endswith("/accounts/login/code/"):
                answer.failure(f"{username}: no code step")
        if totp_key is not None:
            self._code_step(username, totp_key, answer.text)
        home = self.client.get("/", name="home")
        header = CSRF_HEADER.search(home.text)
        self.csrf = json.loads(header[1])["X-CSRFToken"] if header else ""

    def _code_step(self, username: str, key: str, text: str) -> None:
        used = None
        for _attempt in range(3):
            token = CSRF_FIELD.search(text)
            code = totp(key)
            if code == used:  # a code works once: wait for the next one
                time.sleep(30 - time.time() % 30 + 0.5)
                code = totp(key)
            with self.client.post(
                "/accounts/login/code/",
                {"code": code, "csrfmiddlewaretoken": token[1] if token else ""},
                name="sign in: code",
                catch_response=True,
            ) as answer:
                if "/accounts/login/" not in answer.url:
                    return
                answer.failure(f"{username}: code refused")
                used, text = code, answer.text
        raise RuntimeError(f"{username}: no code accepted")

    def api(self, method: str, path: str, name: str, **kwargs: Any) -> Any:
        headers = {"X-CSRFToken": self.csrf, "Accept": "application/json"}
        return self.client.request(method, path, name=name, headers=headers, **kwargs)


class Director(Signed):
    fixed_count = 300
    accounts = itertools.cycle(USERS["directors"])

    def on_start(self) -> None:
        self.me = self.account()
        self.rng = random.Random()  # noqa: S311 - a load, not a secret
        self.outbox: list[dict[str, Any]] = []
        self.sign_in(self.me["username"])

    def on_stop(self) -> None:
        for body in self.outbox:  # never acknowledged: the phone would send them later
            _write(SENT, {"client_uuid": body["client_uuid"], "child": body["child"], "ack": 0})

    @task(5)
    def my_work(self) -> None:
        self.client.get("/visits/", name="my work")

    @task(5)
    def child_page(self) -> None:
        self.client.get(f"/children/{self.rng.choice(self.me['children'])}/", name="child page")

    @task(4)
    def log_visit(self) -> None:
        for body in list(self.outbox):
            self._send(body, "visit POST (outbox)")
        kind = self.rng.choice(("home_visit", "in_person", "phone", "phone", "video"))
        body = {
            "client_uuid": str(uuid.uuid4()),
            "child": self.rng.choice(self.me["children"]),
            "kind": kind,
            "visit_date": TODAY.isoformat(),
            "seen": "孩子和祖母" if kind in ("home_visit", "in_person") else "",
            **dict.fromkeys(AREAS, "fine"),
        }
        self.outbox.append(body)
        first = self._send(body, "visit POST")
        if first is not None and self.rng.random() < 0.1:
            with self.api(
                "POST", "/api/v1/visits/", "visit POST (resent)", json=body, catch_response=True
            ) as again:
                if again.status_code != 200 or again.json().get("id") != first:
                    again.failure(f"resent visit: {again.status_code}, not the first visit")

    def _send(self, body: dict[str, Any], name: str) -> int | None:
        with self.api("POST", "/api/v1/visits/", name, json=body, catch_response=True) as answer:
            if answer.status_code in (200, 201):
                visit = answer.json()["id"]
                self.outbox.remove(body)
                _write(SENT, {"client_uuid": body["client_uuid"], "child": body["child"], "ack": 1,
                              "visit": visit, "status": answer.status_code})  # fmt: skip
                return int(visit)
            if 400 <= answer.status_code < 500 and answer.status_code not in (401, 403, 429):
                self.outbox.remove(body)  # refused: the phone shows the error, no retry
                _write(SENT, {"client_uuid": body["client_uuid"], "child": body["child"],
                              "ack": 0, "refused": answer.text[:300]})  # fmt: skip
            answer.failure(f"{answer.status_code}: {answer.text[:200]}")
        return None

    @task(1)
    def register_child(self) -> None:
        rng = self.rng
        number = id_number(rng)
        body = {
            "client_token": str(uuid.uuid4()),
            "name": rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN),
            "id_number": number,
            "ethnicity": "01",
            "hukou_address": "重庆市秀山县",
            "address": "重庆市北碚区",
            "village": self.me["village"],
            "categories": ["rural_left_behind"],
            "parents": [
                {
                    "relation": "father",
                    "name": "基准父",
                    "status": "working_away",
                    "work_province": "广东",
                    "work_city": "东莞",
                },
            ],
            "guardian_type": "grandparents",
            "carer_name": "基准祖父",
            "carer_relation": "祖父",
            "carer_capacity": "capable",
            "guardianship_quality": "good",
            "schooling": "primary",
        }
        with self.api(
            "POST", "/api/v1/children/", "child POST", json=body, catch_response=True
        ) as answer:
            if answer.status_code != 201:
                answer.failure(f"{answer.status_code}: {answer.text[:200]}")


class Supervisor(Signed):
    fixed_count = 30
    accounts = itertools.cycle(USERS["supervisors"])

    def on_start(self) -> None:
        self.me = self.account()
        self.rng = random.Random()  # noqa: S311 - a load, not a secret
        self.sign_in(self.me["username"])

    @task(4)
    def town_dashboard(self) -> None:
        self.client.get(f"/stats/area/{self.me['town']}/", name="town dashboard")

    @task(2)
    def report_steps(self) -> None:
        if self.me["reports"]:
            report = self.rng.choice(self.me["reports"])
            self.client.get(f"/reports/{report}/", name="report page (steps)")

    @task(2)
    def inspection_list(self) -> None:
        self.client.get("/visits/inspections/", name="inspection list")

    @task(2)
    def inspection_page(self) -> None:
        if self.me["inspections"]:
            inspection = self.rng.choice(self.me["inspections"])
            self.client.get(f"/visits/inspections/{inspection}/", name="inspection page")


class DistrictStaff(Signed):
    fixed_count = 5
    accounts = itertools.cycle(USERS["district_staff"])
    export_every = float(os.environ.get("BENCH_LOAD_EXPORT_EVERY", "240"))

    def on_start(self) -> None:
        self.me = self.account()
        self.last_export = 0.0
        self.sign_in(self.me["username"], totp_key=self.me["totp_key"])

    @task(3)
    def children_list(self) -> None:
        self.client.get(f"/children/?region={USERS['district']}", name="district children list")

    @task(2)
    def reports_list(self) -> None:
        self.client.get(f"/reports/?area={USERS['district']}", name="district reports list")

    @task(1)
    def visits_list(self) -> None:
        self.client.get("/visits/list/", name="district visits list")

    @task(1)
    def statistics_export(self) -> None:
        if time.monotonic() - self.last_export < self.export_every:
            return
        self.last_export = time.monotonic()
        body = {"area": USERS["district"], "date": TODAY.isoformat()}
        with self.api(
            "POST", "/api/v1/exports/", "export POST", json=body, catch_response=True
        ) as answer:
            if answer.status_code != 202:
                answer.failure(f"{answer.status_code}: {answer.text[:200]}")
                return
            job = answer.json()
        started = time.perf_counter()
        deadline = time.monotonic() + float(os.environ.get("BENCH_LOAD_EXPORT_WAIT", "600"))
        status = job.get("status")
        while status not in ("done", "failed", "expired") and time.monotonic() < deadline:
            time.sleep(2)  # the job page polls every 2 s
            poll = self.api("GET", f"/api/v1/exports/{job['id']}/", "export status")
            if poll.ok:
                job = poll.json()
                status = job.get("status")
        # The job from its start to its file, as one entry of the statistics.
        events.request.fire(
            request_type="JOB",
            name="export job (to ready)",
            response_time=(time.perf_counter() - started) * 1000,
            response_length=0,
            response=None,
            context={},
            exception=None if status == "done" else RuntimeError(f"job {status}"),
        )
        if status == "done":
            self.api("GET", f"/api/v1/exports/{job['id']}/download/", "export download")
