"""A child director's day on the phone, driven through Playwright by helpers that count what
she does: every tap (a click, a radio or checkbox chosen, an option picked) and every field she
types into, and the time each task takes.

Shared by bench/bench_web.py (`measure_director_day`, timed on the production configuration
with the demo) and tests/e2e/test_director_day.py (the same journey against the live server,
asserting that each task stores its record once). The selectors are the pages' stable ones
(data-testid, data-log-visit, input names), and the journey only fills what the page left
empty: when a form starts filling fields itself (a report prefilled from the visit, a birth
date read from the ID number) the counts drop without the journey changing.

    day = DirectorDay(page, url, username, password, found_at="2026-12-01T09:30")
    for task in day.run(overdue=set_of_child_ids, id_number="500109…", child_name="…"):
        print(task.line())

Tasks: sign in; open my work; log a home visit for the first overdue child; log a phone
contact for another child; register a child from an ID number; file a mandatory report from a
visit that found danger.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlparse

TIMEOUT_MS = 30_000


@dataclass
class Task:
    name: str
    taps: int = 0
    typed: int = 0
    seconds: float = 0.0
    # What the task stored or where it ended (for the caller's checks), e.g. {"visit": 12}.
    result: dict[str, Any] = field(default_factory=dict)
    actions: list[str] = field(default_factory=list)

    def line(self) -> str:
        return f"{self.name:<38} {self.taps:>4} taps {self.typed:>3} typed {self.seconds:>6.1f} s"


class Counter:
    """Playwright actions that count themselves into the current task."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.task = Task("")

    # --- counted actions ---------------------------------------------------------------------

    def tap(self, target: Any, what: str = "") -> None:
        locator = self._locator(target)
        self._reveal(locator)
        locator.click()
        self._count("tap", what or str(target))

    def choose(self, selector: str) -> None:
        """A radio or checkbox: a tap, unless it is already as wanted."""
        locator = self._locator(selector)
        self._reveal(locator)
        if not locator.is_checked():
            locator.check()
            self._count("tap", selector)

    def pick(self, selector: str, value: str) -> None:
        """An option of a select: one tap to open it, one to pick (unless already picked)."""
        locator = self._locator(selector)
        self._reveal(locator)
        if locator.input_value() != value:
            locator.select_option(value)
            self._count("tap", selector)
            self._count("tap", f"{selector}={value}")

    def type(self, selector: str, text: str) -> None:
        """Typing into a field: one tap to focus it and one field typed."""
        locator = self._locator(selector)
        self._reveal(locator)
        locator.fill(text)
        self._count("tap", selector)
        self._count("type", selector)

    def type_if_empty(self, selector: str, text: str) -> None:
        locator = self._locator(selector)
        if not locator.input_value():
            self.type(selector, text)

    def open_link(self, path: str) -> None:
        """Follow a link to `path` the way she would: tapping it where it shows, opening the
        phone menu (and a menu group) first when it is folded away."""
        page = self.page
        visible = page.locator(f'a[href="{path}"]:visible')
        if not visible.count():
            toggler = page.locator(".navbar-toggler:visible")
            if toggler.count():
                self.tap(toggler.first, "menu")
                page.locator(f'a[href="{path}"]').first.wait_for(state="attached")
                page.wait_for_timeout(400)  # the menu's opening transition
        visible = page.locator(f'a[href="{path}"]:visible')
        if not visible.count():
            group = page.locator(
                f'.dropdown:has(a[href="{path}"]) [data-bs-toggle=dropdown]:visible, '
                f'details:has(a[href="{path}"]) > summary:visible'
            )
            if group.count():
                self.tap(group.first, "menu group")
        visible = page.locator(f'a[href="{path}"]:visible')
        if not visible.count():
            raise AssertionError(f"no link to {path} she could tap on {page.url}")
        with page.expect_navigation():
            self.tap(visible.first, path)

    # --- helpers -------------------------------------------------------------------------

    def _locator(self, target: Any) -> Any:
        return self.page.locator(target).first if isinstance(target, str) else target

    def _count(self, kind: str, what: str) -> None:
        if kind == "tap":
            self.task.taps += 1
        else:
            self.task.typed += 1
        self.task.actions.append(f"{kind} {what}")

    def _reveal(self, locator: Any) -> None:
        """A field in a folded section (a closed <details> or a Bootstrap collapse) is opened
        first, with a tap."""
        locator.wait_for(state="attached", timeout=TIMEOUT_MS)
        if locator.is_visible() or locator.get_attribute("type") == "hidden":
            return
        opener = locator.evaluate_handle(
            """el => {
                const details = el.closest('details:not([open])');
                if (details) return details.querySelector(':scope > summary');
                const fold = el.closest('.collapse:not(.show)');
                if (fold && fold.id) return document.querySelector(
                    `[data-bs-target="#${fold.id}"], [aria-controls="${fold.id}"], `
                    + `a[href="#${fold.id}"]`);
                return null;
            }"""
        )
        if opener.as_element() is not None:
            opener.as_element().click()
            self._count("tap", "open section")
            locator.wait_for(state="visible", timeout=TIMEOUT_MS)


class DirectorDay(Counter):
    def __init__(self, page: Any, url: str, username: str, password: str, *, found_at: str) -> None:
        super().__init__(page)
        self.url = url
        self.username = username
        self.password = password
        self.found_at = found_at  # "YYYY-MM-DDTHH:MM", not in the server's future
        self.tasks: list[Task] = []

    def _timed(self, name: str, body: Callable[[], dict[str, Any] | None]) -> Task:
        self.task = Task(name)
        started = time.perf_counter()
        self.task.result = body() or {}
        self.task.seconds = time.perf_counter() - started
        self.tasks.append(self.task)
        return self.task

    def _wait_page(self) -> None:
        self.page.wait_for_selector("[data-testid=current-user]", state="attached")

    # --- the tasks -------------------------------------------------------------------------

    def sign_in(self) -> None:
        self.page.goto(f"{self.url}/accounts/login/")
        self.type("input[name=username]", self.username)
        self.type("input[name=password]", self.password)
        with self.page.expect_navigation():
            self.tap("button[type=submit]", "sign in")
        self._wait_page()

    def open_my_work(self) -> dict[str, Any]:
        self.open_link("/visits/")
        self.page.wait_for_selector("[data-testid=work-list]")
        rows = self.page.eval_on_selector_all(
            "[data-log-visit]", "els => els.map(e => Number(e.dataset.logVisit))"
        )
        return {"children": rows}

    def _visit_form(self, child_id: int) -> None:
        """From my work, the visit form of `child_id` (opening my work first if elsewhere,
        and its next pages while the child is not on the one shown)."""
        if urlparse(self.page.url).path != "/visits/":
            self.open_link("/visits/")
        locator = self.page.locator(f"[data-log-visit='{child_id}']")
        while not locator.count():
            number = int(parse_qs(urlparse(self.page.url).query).get("page", ["1"])[0])
            next_page = self.page.locator(f'.pagination a[href="?page={number + 1}"]:visible')
            if not next_page.count():
                raise AssertionError(f"child {child_id} is not on my work")
            with self.page.expect_navigation():
                self.tap(next_page.first, "next page")
        with self.page.expect_navigation():
            self.tap(locator.first, "log a visit")
        self.page.wait_for_selector("form input[name=visit_date]")

    def _save_visit(self) -> None:
        with self.page.expect_navigation():
            self.tap("main form button[type=submit]", "save")
        self._wait_page()

    def home_visit(self, child_id: int) -> dict[str, Any]:
        self._visit_form(child_id)
        self.choose("input[name=kind][value=home_visit]")
        self.type_if_empty("input[name=seen]", "孩子和奶奶")
        self._save_visit()
        return {"child": child_id, "url": self.page.url}

    def phone_contact(self, child_id: int) -> dict[str, Any]:
        self._visit_form(child_id)
        self.choose("input[name=kind][value=phone]")
        self._save_visit()
        return {"child": child_id, "url": self.page.url}

    def register(self, id_number: str, name: str, birth_date: str, gender: str) -> dict[str, Any]:
        # From "my work" when it offers the registration, else through the archive's list.
        self.open_link("/visits/")
        if not self.page.locator('a[href="/children/new/"]:visible').count():
            self.open_link("/children/")
        self.open_link("/children/new/")
        page = self.page
        page.wait_for_selector("input[name=id_number]")
        self.type("input[name=id_number]", id_number)
        self.type("input[name=name]", name)  # leaving the ID field: a form may fill from it
        page.wait_for_timeout(200)
        self.type_if_empty("input[name=birth_date]", birth_date)
        if not page.locator("input[name=gender]:checked").count():
            self.choose(f"input[name=gender][value={gender}]")
        self.type_if_empty("input[name=hukou_address]", "重庆市北碚区静观镇")
        self.type_if_empty("input[name=address]", "2组")
        self.choose("input[name=categories][value=rural_left_behind]")
        self.type_if_empty("input[name=father_name]", "陈大勇")
        self.pick("select[name=father_status]", "working_away")
        self.type_if_empty("input[name=mother_name]", "周燕")
        self.pick("select[name=mother_status]", "working_away")
        self.pick("select[name=guardian_type]", "grandparents")
        self.type_if_empty("input[name=carer_name]", "陈奶奶")
        self.pick("select[name=carer_capacity]", "capable")
        self.pick("select[name=guardianship_quality]", "good")
        self.pick("select[name=schooling]", "primary")
        with page.expect_navigation():
            self.tap("main form button[type=submit]", "save")
        page.wait_for_selector("[data-testid=child-name]", timeout=TIMEOUT_MS)
        return {"url": page.url}

    def danger_report(self, child_id: int) -> dict[str, Any]:
        page = self.page
        self._visit_form(child_id)
        self.choose("input[name=kind][value=home_visit]")
        self.type_if_empty("input[name=seen]", "孩子")
        self.choose("input[name=safety][value=concern]")
        self.type_if_empty("input[name=safety_note]", "手臂有淤青，说被父亲打")
        self.choose("input[name=danger_found]")
        self._save_visit()
        if not page.locator("input[name=found_at]").count():
            # The visit page's "file a mandatory report" button, if not sent straight there.
            with page.expect_navigation():
                self.tap("[data-testid=file-report]", "file a report")
        page.wait_for_selector("input[name=found_at]")
        if not page.locator("input[name=situations]:checked").count():
            self.choose("input[name=situations][value=domestic_violence]")
        self.type_if_empty("input[name=found_at]", self.found_at)
        self.type_if_empty("textarea[name=what_seen]", "手臂有淤青")
        self.choose("input[name=immediate_danger]")
        with page.expect_navigation():
            self.tap("main form button[type=submit]", "file")
        page.wait_for_selector("[data-testid=timeline]", timeout=TIMEOUT_MS)
        return {"child": child_id, "url": page.url}

    def run(
        self,
        *,
        overdue: Iterable[int],
        id_number: str,
        child_name: str,
        birth_date: str,
        gender: str,
    ) -> list[Task]:
        """The whole day; `overdue` are the children overdue today (the first of them on my
        work gets the home visit, the next two the phone contact and the danger visit)."""
        overdue = set(overdue)
        self._timed("sign in", self.sign_in)
        work = self._timed("open my work", self.open_my_work)
        listed = work.result["children"]
        late = [pk for pk in listed if pk in overdue]
        if not late:
            raise AssertionError("no overdue child on the first page of my work")
        others = [pk for pk in listed if pk != late[0]]
        self._timed("home visit, first overdue child", lambda: self.home_visit(late[0]))
        self._timed("phone contact", lambda: self.phone_contact(others[0]))
        self._timed(
            "register a child from an ID",
            lambda: self.register(id_number, child_name, birth_date, gender),
        )
        self._timed("mandatory report from a danger visit", lambda: self.danger_report(others[1]))
        return self.tasks


def summary(tasks: list[Task]) -> str:
    lines = [task.line() for task in tasks]
    lines.append(
        f"{'the day':<38} {sum(t.taps for t in tasks):>4} taps "
        f"{sum(t.typed for t in tasks):>3} typed {sum(t.seconds for t in tasks):>6.1f} s"
    )
    return "\n".join(lines)
