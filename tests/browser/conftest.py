"""Browser tests: the web client in Debian's headless Chromium shell, driven by Playwright.

One browser for the session (launched by its executable path: no browser download), a
fresh context per user, against the same running system as the end-to-end tests
(``stack``). When a test fails, every open page's screenshot is saved under
``tests/browser/failures/`` (ignored by git).
"""

from __future__ import annotations

import base64
import fcntl
import os
import re
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import (
    APIRequestContext,
    Browser,
    BrowserContext,
    Locator,
    Page,
    Route,
    expect,
    sync_playwright,
)

from services.runner import Stack
from shared.mailsink import Mailbox
from tests.api import link_token

# Debian's chromium-headless-shell: the same Chromium as the browser, without its windows.
# The full browser (/usr/bin/chromium, whose headless mode is the browser's) opens a window
# for each context, with a renderer of its own for the address bar's WebUI popup
# (chrome://omnibox-popup.top-chrome): about 1.1 CPU-second per context, more than the pages
# (test_journey.py: Chromium 50-61 CPU-seconds, 19-22 with the shell; all browser tests 517
# against 146). The full browser stays the fallback. WARDMATE_CHROMIUM names another binary.
SHELL = "/usr/bin/chromium-headless-shell"
FULL = "/usr/bin/chromium"
FAILURES = Path(__file__).parent / "failures"
AXE = Path(__file__).parent / "vendor" / "axe.min.js"
PASSWORD = "correct-horse-battery"
# A hospital no other test uses, so these tests' rooms are the only ones within its reach.
FARGO = "essentia-health-fargo-fargo-nd"
# The test system's map tile server (tests/conftest.py), answered by the tests themselves
# with one grey tile: the browser never leaves the machine.
TILES = "https://tiles.wardmate.test/**"
GREY_TILE = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAAAAAA6fptVAAAACklEQVR4nGNoAAAAggCBd81ytgAAAABJRU5ErkJggg=="
)
# The running system's mail, for ``Client``s made without one (set by ``browser``).
MAILBOXES: list[Mailbox] = []
# Phone and laptop widths the client must work at.
PHONE = {"width": 375, "height": 812}
LAPTOP = {"width": 1280, "height": 900}


def ensure_chromium() -> str:
    """The Chromium to drive: ``WARDMATE_CHROMIUM``, else Debian's headless shell (installed
    with apt-get when missing and the tests run as root: a fresh CI machine), else Debian's
    chromium (installed the same way when neither is there)."""
    if named := os.environ.get("WARDMATE_CHROMIUM"):
        return named
    for package, binary in (("chromium-headless-shell", SHELL), ("chromium", FULL)):
        if not Path(binary).exists():
            _apt_install(package, binary)
        if Path(binary).exists():
            return binary
    pytest.fail(f"no Chromium at {SHELL} or {FULL}: apt-get install chromium-headless-shell (or set WARDMATE_CHROMIUM)")


def _apt_install(package: str, binary: str) -> None:
    """apt-get install ``package``, once across the test workers (dpkg takes one at a time);
    a failure leaves the next choice to the caller."""
    if not shutil.which("apt-get") or os.geteuid() != 0:
        return
    with open(Path(tempfile.gettempdir()) / "wardmate-chromium-install.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        if Path(binary).exists():
            return  # another worker installed it meanwhile
        env = os.environ | {"DEBIAN_FRONTEND": "noninteractive"}
        for command in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", package]):
            if subprocess.run(command, check=False, env=env).returncode != 0:
                return


@pytest.fixture(scope="module")
def browser(stack: Stack) -> Iterator[Browser]:
    """One Chromium per test module. Playwright's sync API leaves its event loop marked as
    running in this thread while it is open, so it starts after the ``stack`` fixture
    (which runs asyncio) and is closed before other modules' asyncio tests run."""
    executable = ensure_chromium()
    MAILBOXES.append(Mailbox(stack.mail_dir))
    with sync_playwright() as pw:
        instance = pw.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        yield instance
        instance.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    if report.when == "call":
        item.stash[FAILED] = report.failed
    return report


FAILED = pytest.StashKey[bool]()


class Pages:
    """Pages of one test, each in its own context (its own cookies: one user each)."""

    def __init__(self, browser: Browser, base_url: str, mailbox: Mailbox) -> None:
        self.browser = browser
        self.base_url = base_url
        # The SMTP sink's mail, where signed-up users find their confirmation links.
        self.mailbox = mailbox
        self.contexts: list[tuple[str, BrowserContext]] = []
        # Uncaught exceptions and console errors (a CSP refusal is one) of every page.
        self.errors: list[str] = []
        # Refused API calls as the browser logs them ("Failed to load resource: ... 401").
        self.failed_loads: list[str] = []
        self.tiles_served = 0

    def open(
        self, name: str, viewport: dict[str, int] | None = None, timezone_id: str | None = None, touch: bool = False
    ) -> Page:
        """A page in a context of its own; ``timezone_id``: the browser's clock (the machine's
        if None); ``touch``: a phone's touch screen, with no mouse."""
        context = self.browser.new_context(
            base_url=self.base_url,
            viewport=viewport or LAPTOP,  # type: ignore[arg-type]
            timezone_id=timezone_id,
            has_touch=touch,
            is_mobile=touch,
        )
        context.set_default_timeout(10_000)
        context.route(TILES, self._tile)
        self.contexts.append((name, context))
        page = context.new_page()
        page.on("pageerror", lambda exc: self.errors.append(f"{name}: {exc}"))
        page.on("console", lambda msg: self._console(name, msg.type, msg.text))
        return page

    def _tile(self, route: Route) -> None:
        self.tiles_served += 1
        route.fulfill(status=200, content_type="image/png", body=GREY_TILE)

    def _console(self, name: str, kind: str, text: str) -> None:
        # A refused API call (a 401 before login, a 400 the page shows) is logged by the
        # browser as a failed resource; the page handles those itself.
        if kind == "error" and text.startswith("Failed to load resource"):
            self.failed_loads.append(f"{name}: {text}")
        elif kind == "error":
            self.errors.append(f"{name}: {text}")

    def save_screenshots(self, test: str) -> None:
        FAILURES.mkdir(exist_ok=True)
        for name, context in self.contexts:
            for i, page in enumerate(context.pages):
                page.screenshot(path=FAILURES / f"{test}-{name}-{i}.png", full_page=True)

    def close(self) -> None:
        for _, context in self.contexts:
            context.close()


@pytest.fixture
def pages(browser: Browser, stack: Stack, request: pytest.FixtureRequest) -> Iterator[Pages]:
    """The test's pages on the running system; screenshots of them all when it fails."""
    opened = Pages(browser, stack.url, Mailbox(stack.mail_dir))
    yield opened
    if request.node.stash.get(FAILED, False):
        opened.save_screenshots(re.sub(r"[^A-Za-z0-9_.-]", "_", request.node.name))
    opened.close()


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """axe-core's serious and critical violations on the page as it is now (WCAG 2 A/AA)."""
    # Evaluated through the DevTools protocol, which the page's CSP does not govern (a
    # script tag would be refused, as any inline script is).
    page.evaluate(AXE.read_text())
    result: dict[str, Any] = page.evaluate(
        "() => axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})"
    )
    return [
        {"id": v["id"], "impact": v["impact"], "help": v["help"], "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def room_card(page: Page, title: str) -> Locator:
    """The card of the room ``title`` among the search's results, through "More results"
    until it shows. The suite shares one system per worker: by distance, the other tests'
    rooms about a hospital (Fargo's has dozens, each a few hundred metres off at random, as
    public positions are) put a test's own room past the first 20 in some file orders."""
    rooms = page.get_by_role("list", name="Rooms").get_by_role("listitem")
    expect(rooms.first).to_be_visible()  # the results are in: all of a page render at once
    card = rooms.filter(has_text=title)
    more = page.get_by_role("button", name="More results")
    for _ in range(50):
        if card.count() or not more.count():
            break
        shown = rooms.count()
        more.click()
        expect(rooms).not_to_have_count(shown)
    expect(card).to_have_count(1)
    return card


def future(days: int) -> str:
    return str(date.today() + timedelta(days=days))


class Client:
    """API calls for the test's setup, through a page's own request context: the signup's
    cookies log the page in, and the bearer token authenticates the calls."""

    def __init__(self, request: APIRequestContext, mailbox: Mailbox | None = None) -> None:
        self.request = request
        # The running system's SMTP sink (the ``browser`` fixture names it), where a
        # signed-up user finds the link that confirms their address.
        self.mailbox = mailbox or MAILBOXES[-1]
        self.token = ""

    def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        response = self.request.fetch(f"/api/v1{path}", method=method, data=body, headers=headers)
        assert response.ok, (path, response.status, response.text())
        return response.json()

    def sign_up(self, role: str, name: str) -> str:
        email = f"{role}-{uuid.uuid4().hex[:10]}@test.wardmate"
        reply = self.call(
            "POST", "/auth/signup", {"email": email, "password": PASSWORD, "display_name": name, "role": role}
        )
        self.token = reply["token"]
        link = verification_link(self.mailbox, email)
        assert self.request.get(link).ok, link
        self.call("POST", "/auth/verify-email", {"token": link_token(link)})
        return str(reply["user"]["id"])


def verification_link(mailbox: Mailbox, email: str) -> str:
    """The link of the confirmation mail sent to ``email`` at signup (from the SMTP sink)."""
    [mail] = mailbox.wait_for_sync(email, lambda m: "Confirm your email address" in m.subject)
    return mail.link("verify-email")
