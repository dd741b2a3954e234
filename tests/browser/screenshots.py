"""The README's screenshots of the web client, taken from a running `make run` (demo data).

    python -m tests.browser.screenshots [URL]      # default http://127.0.0.1:8080/

Writes docs/screenshots/<page>-<phone|laptop>.png (the visible part of each page).
"""

from __future__ import annotations

import sys
from pathlib import Path

from playwright.sync_api import Page, expect, sync_playwright

from tests.browser.conftest import LAPTOP, PHONE, ensure_chromium

OUT = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
DEMO_PASSWORD = "wardmate-demo-1"
STUDENT = "chidi.eze@demo.wardmate.test"
HOST = "amara.okafor@demo.wardmate.test"


def log_in(page: Page, email: str) -> None:
    page.goto("/")
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_label("Password", exact=True).fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Welcome", exact=False)).to_be_visible()


def shoot(page: Page, name: str, width: str) -> None:
    page.wait_for_load_state("networkidle")
    page.screenshot(path=OUT / f"{name}-{width}.png")


def main(url: str) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=ensure_chromium(), args=["--no-sandbox"])
        for width, viewport in (("phone", PHONE), ("laptop", LAPTOP)):
            context = browser.new_context(base_url=url, viewport=viewport, device_scale_factor=1)  # type: ignore[arg-type]
            page = context.new_page()
            page.goto("/")
            # The first page: what Wardmate is, search open to everyone, and the login form.
            expect(page.get_by_role("heading", name="Log in")).to_be_visible()
            shoot(page, "login", width)
            log_in(page, STUDENT)
            page.get_by_role("link", name="cardiology at", exact=False).first.click()
            expect(page.get_by_role("list", name="Room matches")).to_be_visible()
            shoot(page, "rotation", width)
            page.get_by_role("list", name="Room matches").get_by_role("link").first.click()
            expect(page.get_by_role("heading", name="Where it is")).to_be_visible()
            shoot(page, "listing", width)
            # The listing's photos (demo illustrations): the gallery, on its second photo.
            gallery = page.get_by_role("region", name="Photos of", exact=False)
            gallery.get_by_role("button", name="Next photo").click()
            gallery.scroll_into_view_if_needed()
            shoot(page, "gallery", width)
            page.goto("/#/search")
            expect(page.get_by_role("heading", name="Results")).to_be_visible()
            shoot(page, "search", width)
            page.goto("/#/inbox")
            page.get_by_role("list", name="Conversations").get_by_role("link").first.click()
            expect(page.get_by_role("list", name="Messages")).to_be_visible()
            shoot(page, "conversation", width)
            context.close()
            context = browser.new_context(base_url=url, viewport=viewport, device_scale_factor=1)  # type: ignore[arg-type]
            page = context.new_page()
            log_in(page, HOST)
            page.goto("/#/bookings")
            expect(page.get_by_role("heading", name="Requests for your rooms")).to_be_visible()
            shoot(page, "host-bookings", width)
            # The photo editor of the host's first room: alt texts, order, the upload form.
            page.goto("/#/listings")
            page.get_by_role("link", name="Edit", exact=False).first.click()
            page.get_by_role("heading", name="Photos", exact=False).scroll_into_view_if_needed()
            shoot(page, "photo-editor", width)
            # Posting a room: its position starts at the ZIP code's centre (approximate).
            page.goto("/#/listings/new")
            page.get_by_label("Address").fill("600 N Wolfe St, Baltimore, MD")
            page.get_by_label("ZIP code").fill("21287")
            expect(page.get_by_text("Approximate: the centre of ZIP code 21287")).to_be_visible()
            page.get_by_role("group", name="Where the room is").scroll_into_view_if_needed()
            shoot(page, "room-form", width)
            context.close()
        browser.close()


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8080/")
