"""The account pages in the browser: the confirmation banner, "Forgot password?" through
the mailed link, and the settings page (sessions, mail, calendar, export, deletion)."""

from __future__ import annotations

import json
import uuid

from playwright.sync_api import Page, expect

from tests.api import link_token
from tests.browser.conftest import PASSWORD, Client, Pages, axe_violations, future, verification_link
from tests.browser.test_client_fixes import room

NEW_PASSWORD = "a-brand-new-passphrase"


def test_forgot_password_by_the_mailed_link(pages: Pages) -> None:
    """The login page's "Forgot password?" mails a link; it opens a page that sets a new
    password, which then logs in."""
    setup = Client(pages.open("setup").request, pages.mailbox)
    setup.sign_up("student", "Forgetful Student")
    email = setup.call("GET", "/me")["user"]["email"]
    page = pages.open("visitor")
    page.goto("/")
    page.get_by_role("link", name="Forgot password?").click()
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_role("button", name="Mail me a link").click()
    expect(page.get_by_role("status").filter(has_text="a link to reset its password")).to_be_visible()
    [mail] = pages.mailbox.wait_for_sync(email, lambda m: "Reset your Wardmate password" in m.subject)
    page.goto(mail.link("reset-password"))
    expect(page.get_by_text(f"For the Wardmate account of {email}.")).to_be_visible()
    page.get_by_label("New password", exact=True).fill("a-whole-new-password")
    page.get_by_role("button", name="Set the new password").click()
    expect(page.get_by_role("status").filter(has_text="Your password is changed")).to_be_visible()
    expect(page.get_by_role("link", name="Log in").last).to_have_attribute("href", "#/login")
    # The same link opened again (from the mail, in another tab) says it is used before
    # anyone types a new password into a form that cannot work.
    again = pages.open("the mail again")
    again.goto(mail.link("reset-password"))
    expect(again.get_by_role("alert")).to_have_text(
        "This link was already used or a newer one replaced it; ask for a new one."
    )
    expect(again.get_by_label("New password", exact=True)).to_have_count(0)
    page.goto("/")
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_label("Password", exact=True).fill("a-whole-new-password")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("link", name="Settings")).to_be_visible()


def test_a_reset_link_opened_where_another_account_is_logged_in_says_whose(pages: Pages) -> None:
    """Opened where someone else is logged in, the page said neither whose password it set
    nor that the one logged in stayed so: "every device was logged out. Log in"."""
    owner = Client(pages.open("owner").request, pages.mailbox)
    owner.sign_up("student", "Link Owner")
    email = owner.call("GET", "/me")["user"]["email"]
    page = pages.open("shared computer")
    someone = Client(page.request, pages.mailbox)
    someone.sign_up("student", "Logged In Here")
    here = someone.call("GET", "/me")["user"]["email"]
    owner.call("POST", "/auth/password-reset", {"email": email})
    [mail] = pages.mailbox.wait_for_sync(email, lambda m: "Reset your Wardmate password" in m.subject)
    page.goto(mail.link("reset-password"))
    expect(page.get_by_text(f"This browser is logged in as {here}, another account")).to_be_visible()
    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_role("button", name="Set the new password").click()
    done = page.get_by_role("status").filter(has_text=f"The password of {email} is changed")
    expect(done).to_contain_text(f"This browser is still logged in as {here}.")
    assert someone.call("GET", "/me")["user"]["email"] == here  # still logged in
    assert pages.errors == []


def test_unconfirmed_banner_offers_a_new_link(pages: Pages) -> None:
    """A new account sees why it cannot book yet, and can ask for another link."""
    page = pages.open("new")
    page.goto("/#/signup")
    page.get_by_label("A medical student").check()
    page.get_by_label("Name", exact=True).fill("Banner Student")
    page.get_by_label("Email", exact=True).fill(f"banner-{uuid.uuid4().hex[:8]}@test.wardmate")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign up").click()
    banner = page.get_by_role("region", name="Confirm your address")
    # In a student's words (students publish no rooms; asking for a mentor waits too).
    expect(banner).to_contain_text("to request stays, ask for a mentor and message people")
    # The sentence and the button read apart ("mailed you.Mail me" before).
    expect(banner).to_contain_text("follow the link we mailed you. Mail me a new link")
    banner.get_by_role("button", name="Mail me a new link").click()
    expect(banner.get_by_role("status")).to_contain_text("A new confirmation link is on its way")
    assert axe_violations(page) == []


def sign_up_on_the_page(
    pages: Pages, name: str, role: str = "student", display_name: str = "Two Devices"
) -> tuple[Page, str]:
    """A new account signed up through the page (``name``: the browser's), unconfirmed."""
    page = pages.open(name)
    page.goto("/#/signup")
    page.get_by_label("A medical professional" if role == "professional" else "A medical student").check()
    page.get_by_label("Name", exact=True).fill(display_name)
    email = f"devices-{uuid.uuid4().hex[:8]}@test.wardmate"
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign up").click()
    expect(page.get_by_role("region", name="Confirm your address")).to_be_visible()
    return page, email


def confirm_on_another_device(pages: Pages, email: str) -> None:
    phone = pages.open(f"phone of {email}")  # no session: the mailed link alone confirms
    link = verification_link(pages.mailbox, email)
    reply = phone.request.post("/api/v1/auth/verify-email", data={"token": link_token(link)})
    assert reply.ok, reply.text()


def test_the_banner_goes_once_the_address_is_confirmed_elsewhere(pages: Pages) -> None:
    """The mailed link opened on a phone confirms the address; the laptop's tab dropped its
    banner only on a reload. Now it asks again when the tab is shown, and a "Mail me a new
    link" that finds the address confirmed drops the banner too."""
    page, email = sign_up_on_the_page(pages, "laptop")
    confirm_on_another_device(pages, email)
    banner = page.get_by_role("region", name="Confirm your address")
    expect(banner).to_be_visible()  # nothing told this tab yet
    page.evaluate("document.dispatchEvent(new Event('visibilitychange'))")  # the tab shown again
    expect(banner).to_have_count(0)

    other, email = sign_up_on_the_page(pages, "second laptop")
    confirm_on_another_device(pages, email)
    banner = other.get_by_role("region", name="Confirm your address")
    banner.get_by_role("button", name="Mail me a new link").click()
    expect(banner).to_have_count(0)


def test_the_calendar_link_is_read_again_when_the_tab_is_shown(pages: Pages) -> None:
    """A new link made in another tab while this one was hidden shows here once the tab
    is visible again (it showed the dead link until a reload), with a note saying why."""
    page = pages.open("user")
    client = Client(page.request, pages.mailbox)
    client.sign_up("student", "Two Tabs")
    page.goto("/#/settings")
    link = page.get_by_label("Calendar link")
    old = link.input_value()
    assert old.endswith(".ics")
    new = client.call("POST", "/me/calendar/rotate")["url"]  # the other tab
    assert new != old
    page.evaluate("document.dispatchEvent(new Event('visibilitychange'))")  # this tab shown again
    expect(link).to_have_value(new)
    expect(page.get_by_role("status").filter(has_text="This link was replaced")).to_be_visible()


def test_a_new_address_confirmed_elsewhere_shows_when_the_tab_is_shown(pages: Pages) -> None:
    """The new address is confirmed from its mail, on the phone: the settings tab said
    "Now:" with the old one until reloaded. It reads the account again when shown."""
    page = pages.open("laptop")
    client = Client(page.request, pages.mailbox)
    client.sign_up("student", "Moving Address")
    page.goto("/#/settings")
    old = client.call("GET", "/me")["user"]["email"]
    expect(page.get_by_text(f"Now: {old} (confirmed)")).to_be_visible()
    new = f"moved-{uuid.uuid4().hex[:8]}@test.wardmate"
    client.call("POST", "/me/email", {"new_email": new, "password": PASSWORD})
    [mail] = pages.mailbox.wait_for_sync(new, lambda m: "Confirm your new Wardmate address" in m.subject)
    phone = pages.open("phone")  # no session: the mailed link alone confirms
    reply = phone.request.post("/api/v1/auth/confirm-email", data={"token": link_token(mail.link("confirm-email"))})
    assert reply.ok, reply.text()
    expect(page.get_by_text(f"Now: {old} (confirmed)")).to_be_visible()  # nothing told this tab yet
    page.evaluate("document.dispatchEvent(new Event('visibilitychange'))")  # the tab shown again
    expect(page.get_by_text(f"Now: {new} (confirmed)")).to_be_visible()


def test_settings_page(pages: Pages) -> None:
    """Sessions name this device; mail preferences save; the calendar link rotates; the
    export downloads; deleting the account (with the password) logs out. No axe violation."""
    page = pages.open("user")
    client = Client(page.request, pages.mailbox)
    client.sign_up("student", "Settings Student")
    # A second device: its line, and its own "Log out", which says so and keeps focus.
    phone = Client(pages.open("phone").request, pages.mailbox)
    phone.call("POST", "/auth/login", {"email": client.call("GET", "/me")["user"]["email"], "password": PASSWORD})
    page.goto("/#/settings")
    expect(page.get_by_role("heading", name="Settings")).to_be_visible()
    expect(page.get_by_role("region", name="Confirm your address")).to_have_count(0)
    expect(page.get_by_text("(this device)")).to_be_visible()
    expect(page.locator("ul.sessions li")).to_have_count(2)
    other = page.locator("ul.sessions li").filter(has_not_text="(this device)")
    other.get_by_role("button").click()
    expect(page.get_by_role("status").filter(has_text="is logged out.")).to_be_focused()
    expect(page.locator("ul.sessions li")).to_have_count(1)

    # Mail preferences in words, grouped, and only the kinds a student can get (they read
    # "booking shift withdrawn", and a student was offered hosts' and writers' mails).
    stays = page.get_by_role("group", name="Stays")
    expect(stays.get_by_label("A host declines your booking request")).to_be_checked()
    expect(page.get_by_label("A student asks to book one of your rooms")).to_have_count(0)
    expect(page.get_by_label("A student asks you for a letter")).to_have_count(0)
    letters = page.get_by_role("group", name="Letters")
    expect(letters.get_by_label("A writer accepts your letter request")).to_be_visible()
    stays.get_by_label("A host declines your booking request").uncheck()
    page.get_by_label("A daily digest of unread messages").uncheck()
    page.get_by_role("button", name="Save mail preferences").click()
    expect(page.get_by_role("status").filter(has_text="Preferences saved")).to_be_visible()
    prefs = client.call("GET", "/me/notification-preferences")
    assert prefs["muted_kinds"] == ["booking_declined"] and prefs["digest"] is False
    assert "booking_requested" not in prefs["kinds"] and "booking_declined" in prefs["kinds"]

    link = page.get_by_label("Calendar link")
    old = link.input_value()
    # The two buttons stand apart (they touched: no space between them).
    copy = page.get_by_role("button", name="Copy link").bounding_box()
    renew = page.get_by_role("button", name="Make a new link").bounding_box()
    assert copy and renew
    assert renew["x"] >= copy["x"] + copy["width"] + 4 or renew["y"] >= copy["y"] + copy["height"] + 4, (copy, renew)
    assert old.endswith(".ics")
    page.get_by_role("button", name="Make a new link").click()
    page.get_by_role("button", name="Yes, make a new link").click()  # asked first
    expect(link).not_to_have_value(old)
    # The answer takes focus, which fell to the page with the "Yes" button.
    expect(page.get_by_role("status").filter(has_text="New link made")).to_be_focused()
    assert page.request.get(old).status == 404
    assert page.request.get(link.input_value()).ok
    # A new password replaces the link too, and the section shows the new one at once.
    rotated = link.input_value()
    page.get_by_label("Current password").fill(PASSWORD)
    page.get_by_label("New password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Change password").click()
    expect(page.get_by_role("status").filter(has_text="calendar link replaced")).to_be_visible()
    expect(link).not_to_have_value(rotated)
    # The devices it logged out leave the list at once (they stayed until a reload).
    expect(page.get_by_role("button", name="Log out other devices")).to_be_visible()
    expect(page.locator("ul.sessions li")).to_have_count(1)
    page.get_by_role("button", name="Log out other devices").click()
    said = page.get_by_role("status").filter(has_text="No other device was logged in.")
    expect(said).to_be_focused()
    assert page.request.get(rotated).status == 404
    assert page.request.get(link.input_value()).ok

    with page.expect_download() as download:
        page.get_by_role("button", name="Download my data").click()
    exported = json.loads(open(download.value.path()).read())
    assert exported["accounts"]["user"][0]["display_name"] == "Settings Student"

    assert axe_violations(page) == []
    page.get_by_label("Password to confirm").fill("not-the-password")
    page.get_by_role("button", name="Delete my account").click()
    # Beside the field, which takes focus (the API's 403 names the field), not above the form.
    refused = page.get_by_label("Password to confirm")
    expect(refused).to_have_accessible_description("The password is not right.")
    expect(refused).to_be_focused()
    page.get_by_label("Password to confirm").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Delete my account").click()
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()


def test_a_mails_stop_link_clicked_asks_then_stops_that_kind(pages: Pages) -> None:
    """The "Stop these mails" link, clicked in a mail, answered 405 in JSON: only a mail
    client's one-click POST worked. Opened in a browser it now asks, and stops that kind;
    a scanner's GET stops nothing. The footer links the settings too."""
    host_page = pages.open("host")
    host = Client(host_page.request, pages.mailbox)
    guest = Client(pages.open("guest").request, pages.mailbox)
    host.sign_up("professional", "Dr. Unsubscribed")
    guest.sign_up("student", "Asking Guest")
    host_email = host.call("GET", "/me")["user"]["email"]
    listing = host.call("POST", "/listings", room())
    guest.call("POST", f"/listings/{listing['id']}/bookings", {"check_in": future(20), "check_out": future(40)})
    [mail] = pages.mailbox.wait_for_sync(host_email, lambda m: "New booking request" in m.subject)
    stop = str(mail.message["List-Unsubscribe"]).strip("<>")
    assert mail.link("/#/settings")

    # The host's settings, open in a tab since before: saving them later must not undo it.
    host_page.goto("/#/settings")
    digest = host_page.get_by_label("A daily digest of unread messages")
    expect(digest).to_be_checked()

    page = pages.open("mail reader")
    page.goto(stop)
    expect(page.get_by_role("heading", name="Stop these mails?")).to_be_visible()
    # What it stops, before the click (it said "the kind of the mail it came in").
    expect(
        page.get_by_text("This link stops the mails Wardmate sends when: “A student asks to book one of your rooms”.")
    ).to_be_visible()
    assert host.call("GET", "/me/notification-preferences")["muted_kinds"] == []  # the GET changed nothing
    page.get_by_role("button", name="Stop these mails").click()
    done = page.get_by_role("status").filter(has_text="Done: Wardmate no longer mails you about")
    expect(done).to_contain_text("“A student asks to book one of your rooms”")
    expect(done).to_be_focused()
    expect(page.get_by_role("heading", name="Mails stopped")).to_be_visible()  # no longer asks
    assert host.call("GET", "/me/notification-preferences")["muted_kinds"] == ["booking_requested"]
    digest.uncheck()
    host_page.get_by_role("button", name="Save mail preferences").click()
    expect(host_page.get_by_text("Preferences saved.")).to_be_visible()
    now = host.call("GET", "/me/notification-preferences")
    assert (now["muted_kinds"], now["digest"]) == (["booking_requested"], False), now
    expect(host_page.get_by_label("A student asks to book one of your rooms")).not_to_be_checked()
    # A link cut short says so, with the way to the settings.
    page.goto("/#/unsubscribe?token=abc")
    expect(page.get_by_role("alert")).to_have_text("This link is invalid or has expired.")
    expect(page.get_by_role("heading", name="This link cannot stop mails")).to_be_visible()
    assert axe_violations(page) == []
    assert pages.errors == []
