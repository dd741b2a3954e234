"""The operators' page lists the suspended accounts, with why and by whom, and lifts a
suspension after asking (there was no list and no way to lift one from the page). A
suspension lifted meanwhile by another operator is said, and the list refreshed.

Other tests suspend people on the same running system: each test finds its own account by
its unique name."""

from __future__ import annotations

import re
import uuid
from typing import Any

from playwright.sync_api import Locator, Page, expect

from services.runner import Stack
from tests.browser.conftest import PASSWORD, PHONE, Client, Pages, axe_violations
from tests.browser.test_accessibility import make_admin, operators_page


def as_operator(page: Page, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
    """An API call with the logged-in operator page's session cookie and CSRF token."""
    [csrf] = [c["value"] for c in page.context.cookies() if c["name"] == "wardmate_csrf"]
    response = page.request.fetch(f"/api/v1{path}", method=method, data=body, headers={"X-CSRF-Token": csrf})
    assert response.ok, (path, response.status, response.text())
    return response.json()


def suspended_entry(operator: Page, name: str) -> Locator:
    return operator.get_by_role("list", name="Suspended accounts").get_by_role("listitem", name=name)


def suspended_host(pages: Pages, tag: str) -> tuple[Client, str, str, str]:
    """A host who signed up: their client, id, name and email."""
    host = Client(pages.open(f"host-{tag}").request)
    name = f"Dr. Suspended {tag}"
    host_id = host.sign_up("professional", name)
    email = host.call("GET", "/me")["user"]["email"]
    return host, host_id, name, email


def test_an_operator_sees_a_suspension_and_lifts_it(pages: Pages, stack: Stack) -> None:
    tag = uuid.uuid4().hex[:8]
    host, host_id, name, email = suspended_host(pages, tag)
    operator = pages.open("operator")
    make_admin(stack, operator)  # at a laptop's width, where the menu shows "Admin"
    # At a phone's width: the list and its confirmation work there too.
    operator.set_viewport_size({"width": PHONE["width"], "height": PHONE["height"]})
    reason = f"Asked a student to pay by wire {tag}"
    as_operator(operator, "POST", f"/admin/users/{host_id}/suspension", {"reason": reason})
    refused = host.request.post("/api/v1/auth/login", data={"email": email, "password": PASSWORD})
    assert refused.status == 403, refused.text()

    operator.goto("/#/admin")
    expect(operator.get_by_role("region", name="Suspended accounts")).to_be_visible()
    entry = suspended_entry(operator, name)
    expect(entry).to_contain_text(email)
    expect(entry).to_contain_text("Professional")
    expect(entry).to_contain_text(re.compile(r"Suspended [A-Z][a-z]{2} \d+, .+ by you"))
    expect(entry).to_contain_text(f"Why: {reason}")

    # Asked first: "Keep it" leaves the suspension as it was.
    lift = entry.get_by_role("button", name=f"Lift suspension of {name}")
    lift.click()
    question = entry.get_by_role("group", name=re.compile(f"^Lift the suspension of {re.escape(name)}\\?"))
    expect(question.get_by_role("button", name="Keep it")).to_be_focused()
    assert axe_violations(operator) == []
    question.get_by_role("button", name="Keep it").click()
    expect(question).to_have_count(0)
    expect(lift).to_be_focused()
    assert any(a["user_id"] == host_id for a in as_operator(operator, "GET", "/admin/suspensions?limit=100")["items"])

    # By the keyboard: Enter on the button, then back from "Keep it" to "Yes, lift it".
    lift.focus()
    operator.keyboard.press("Enter")
    expect(question.get_by_role("button", name="Keep it")).to_be_focused()
    operator.keyboard.press("Shift+Tab")
    expect(question.get_by_role("button", name="Yes, lift it")).to_be_focused()
    operator.keyboard.press("Enter")
    notice = operator.get_by_role("status").filter(has_text=f"{name}'s suspension is lifted")
    expect(notice).to_contain_text("they may log in again, and their rooms are back")
    expect(entry).to_have_count(0)
    expect(operator.get_by_role("alert")).to_have_count(0)

    back = host.request.post("/api/v1/auth/login", data={"email": email, "password": PASSWORD})
    assert back.status == 200, back.text()
    listed = as_operator(operator, "GET", "/admin/suspensions?limit=100")["items"]
    assert all(a["user_id"] != host_id for a in listed)
    # Nothing wider than the phone's screen.
    assert operator.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert pages.errors == []


def test_a_suspension_lifted_meanwhile_is_said_and_the_list_refreshed(pages: Pages, stack: Stack) -> None:
    tag = uuid.uuid4().hex[:8]
    _, host_id, name, _ = suspended_host(pages, tag)
    operator = pages.open("operator")
    make_admin(stack, operator)
    as_operator(operator, "POST", f"/admin/users/{host_id}/suspension", {"reason": f"Scam {tag}"})
    operator.goto("/#/admin")
    entry = suspended_entry(operator, name)
    expect(entry).to_contain_text(f"Why: Scam {tag}")

    # Another operator lifts it while the page shows it.
    as_operator(operator, "DELETE", f"/admin/users/{host_id}/suspension")
    entry.get_by_role("button", name=f"Lift suspension of {name}").click()
    entry.get_by_role("button", name="Yes, lift it").click()
    alert = operator.get_by_role("alert").filter(has_text=name)
    expect(alert).to_have_text(f"Could not lift the suspension of {name}: this account is not suspended.")
    expect(entry).to_have_count(0)
    assert pages.errors == []


def test_resolving_a_report_as_a_suspension_adds_the_account_to_the_list(pages: Pages, stack: Stack) -> None:
    """The page's reload after a resolved report reaches the suspended list: the account
    shows there without reloading the page."""
    tag = uuid.uuid4().hex[:8]
    _, host_id, name, _ = suspended_host(pages, tag)
    reporter = Client(pages.open("reporter").request)
    reporter.sign_up("student", f"Reporter {tag}")
    reporter.call("POST", "/reports", {"user_id": host_id, "reason": "scam", "details": f"wire {tag}"})

    operator = operators_page(pages, stack)
    expect(operator.get_by_role("region", name="Suspended accounts").get_by_role("status")).to_have_count(0)
    expect(suspended_entry(operator, name)).to_have_count(0)
    report = operator.get_by_role("list", name="Reports").get_by_role("listitem").filter(has_text=f"wire {tag}")
    report.get_by_label("Outcome").select_option("Suspended the reported user")
    report.get_by_role("button", name="Resolve").click()
    expect(report).to_have_count(0)
    said = operator.get_by_role("status").filter(has_text="Report resolved")
    expect(said).to_have_text(f"Report resolved: {name} is suspended (see Suspended accounts below).")
    expect(said.locator("xpath=..")).to_be_focused()
    expect(suspended_entry(operator, name)).to_contain_text(f"Why: Reported for scam by Reporter {tag}: wire {tag}")
    assert pages.errors == []
