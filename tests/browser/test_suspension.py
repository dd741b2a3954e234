"""An operator resolves a report as "Suspended the reported user" and the account is
suspended: the outcome said so and nothing happened, so a reported scammer kept their
rooms and went on messaging."""

from __future__ import annotations

import re
import uuid

from playwright.sync_api import expect

from services.runner import Stack
from tests.browser.conftest import LAPTOP, PASSWORD, Client, Pages
from tests.browser.test_accessibility import make_admin
from tests.browser.test_client_fixes import room
from tests.eventually import eventually_sync


def test_resolving_a_report_as_a_suspension_suspends_the_account(pages: Pages, stack: Stack) -> None:
    tag = uuid.uuid4().hex[:6]
    host_page = pages.open("host")
    as_host, as_student = Client(host_page.request), Client(pages.open("student").request)
    host_id = as_host.sign_up("professional", f"Dr. Wire {tag}")
    host_email = as_host.call("GET", "/me")["user"]["email"]
    listing = as_host.call("POST", "/listings", room(title=f"Too cheap {tag}"))
    as_student.sign_up("student", f"Careful {tag}")
    as_student.call("POST", "/reports", {"user_id": host_id, "reason": "scam", "details": f"wire {tag}"})

    operator = pages.open("operator", LAPTOP)
    make_admin(stack, operator)
    operator.goto("/#/admin")
    report = operator.get_by_role("listitem").filter(has_text=f"wire {tag}")
    outcome = report.get_by_label("Outcome")
    outcome.select_option("Suspended the reported user")
    expect(outcome).to_have_accessible_description(
        re.compile("^Resolving suspends the account at once: it is logged out")
    )
    report.get_by_role("button", name="Resolve").click()
    expect(report).to_have_count(0)

    login = host_page.request.post("/api/v1/auth/login", data={"email": host_email, "password": PASSWORD})
    assert login.status == 403 and "suspended" in login.json()["error"]["message"], login.text()
    eventually_sync(
        lambda: as_student.request.get(f"/api/v1/listings/{listing['id']}").status,
        what="the suspended host's room held",
        until=lambda status: status == 404,
    )
    operator.get_by_role("combobox", name="Show").select_option("resolved")
    resolved = operator.get_by_role("listitem").filter(has_text=f"wire {tag}")
    expect(resolved).to_contain_text("by you: Suspended the reported user.")
    assert pages.errors == []
