"""Listing photos in the browser: a host uploads and reorders them with alt text; a student
sees the cover in search and room matches and browses the gallery by keyboard, buttons
and swipe, at phone and laptop width."""

from __future__ import annotations

import time
import uuid

from playwright.sync_api import Page, expect

from tests import samples
from tests.browser.conftest import LAPTOP, PHONE, Client, Pages, future

# A hospital no other test uses: the only rooms near it are this test's.
ADAK = "adak-medical-center-eat-adak-ak"
ADAK_POINT = (51.868005, -176.640263)


def choose_photo(page: Page, name: str, data: bytes, alt: str) -> None:
    page.get_by_label("Photo", exact=True).set_input_files({"name": name, "mimeType": "image/jpeg", "buffer": data})
    page.get_by_label("Alt text", exact=True).fill(alt)
    page.get_by_role("button", name="Upload photo").click()


def test_host_uploads_student_browses(pages: Pages) -> None:
    """Upload with alt text (a missing one is refused beside its field), reorder with move
    buttons; the cover shows in search and matches with a photo count; the gallery works
    by arrow keys, buttons and a swipe."""
    tag = uuid.uuid4().hex[:6]
    title = f"Harbour room {tag}"
    host = pages.open("host")
    host_api = Client(host.request)
    host_api.sign_up("professional", f"Dr. Host {tag}")
    listing = host_api.call(
        "POST",
        "/listings",
        {
            "title": title,
            "room_type": "private_room",
            "address": "1 Main Rd, Adak, AK",
            "latitude": ADAK_POINT[0] + 0.002,
            "longitude": ADAK_POINT[1],
            "monthly_rent": 800,
            "available_from": future(5),
            "available_to": future(200),
            "min_stay_nights": 7,
        },
    )

    host.goto(f"/#/listings/{listing['id']}/edit")
    expect(host.get_by_role("heading", name="Photos (0 of 20)")).to_be_visible()
    # Alt text is required: the refusal shows beside its field, nothing is stored.
    host.get_by_label("Photo", exact=True).set_input_files(
        {"name": "room.jpg", "mimeType": "image/jpeg", "buffer": samples.jpeg(1200, 900, color=(180, 60, 40))}
    )
    host.get_by_role("button", name="Upload photo").click()
    expect(host.get_by_label("Alt text", exact=True)).to_have_attribute("aria-invalid", "true")
    expect(host.get_by_role("heading", name="Photos (0 of 20)")).to_be_visible()

    host.get_by_label("Alt text", exact=True).fill("Bedroom with a red wall")
    host.get_by_role("button", name="Upload photo").click()
    expect(host.get_by_role("status").filter(has_text="Photo added.")).to_be_visible()
    expect(host.get_by_role("heading", name="Photos (1 of 20)")).to_be_visible()
    choose_photo(host, "desk.jpg", samples.jpeg(1200, 900, color=(40, 90, 200)), "Desk by a blue window")
    expect(host.get_by_role("heading", name="Photos (2 of 20)")).to_be_visible()
    expect(host.get_by_label("Alt text of photo 2")).to_have_value("Desk by a blue window")
    # The second becomes the cover.
    host.get_by_role("button", name="Move photo 2 up").press("Enter")
    expect(host.get_by_label("Alt text of photo 1")).to_have_value("Desk by a blue window")
    expect(host.get_by_label("Alt text of photo 2")).to_have_value("Bedroom with a red wall")
    # Focus follows the moved photo (it fell to the page): at the top, to its other button.
    expect(host.get_by_role("button", name="Move photo 1 down")).to_be_focused()
    host.keyboard.press("Enter")
    expect(host.get_by_label("Alt text of photo 2")).to_have_value("Desk by a blue window")
    expect(host.get_by_role("button", name="Move photo 2 up")).to_be_focused()
    host.keyboard.press("Enter")
    expect(host.get_by_label("Alt text of photo 1")).to_have_value("Desk by a blue window")
    # A refused text puts focus on its field (it stayed on "Save texts").
    alt = host.get_by_label("Alt text of photo 2")
    alt.fill("")
    host.get_by_role("form", name="Texts of photo 2").get_by_role("button", name="Save texts").click()
    expect(alt).to_be_focused()
    expect(alt).to_have_attribute("aria-invalid", "true")
    alt.fill("Bedroom with a red wall")

    student = pages.open("student", viewport=PHONE)
    student_api = Client(student.request)
    student_api.sign_up("student", f"Student {tag}")
    rotation = student_api.call(
        "POST",
        "/rotations",
        {"hospital_id": ADAK, "specialty": "family medicine", "start_date": future(20), "end_date": future(48)},
    )
    # The listing's photos reach matching through events: wait until its projection has them.
    deadline = time.monotonic() + 15
    while True:
        matches = student_api.call("GET", f"/rotations/{rotation['id']}/room-matches")
        mine = [m for m in matches["items"] if m["listing"]["id"] == listing["id"]]
        if mine and mine[0]["listing"]["photo_count"] == 2:
            break
        assert time.monotonic() < deadline, matches
        time.sleep(0.2)
    assert "2 photos" in mine[0]["reasons"]

    # Search: the cover, lazy-loaded, on its dominant colour.
    student.goto(f"/#/search?hospital={ADAK}&hname=Adak&lat={ADAK_POINT[0]}&lon={ADAK_POINT[1]}&radius_km=5")
    card = student.get_by_role("list", name="Rooms").get_by_role("listitem").filter(has_text=title)
    cover = card.get_by_role("img", name="Desk by a blue window")
    expect(cover).to_be_visible()
    expect(cover).to_have_attribute("loading", "lazy")
    assert "background-color" in (card.locator(".cover").get_attribute("style") or "")
    expect(card).to_contain_text("2 photos")

    # Room matches: the same cover and the count among the reasons.
    student.goto(f"/#/rotations/{rotation['id']}")
    match = student.get_by_role("list", name="Room matches").get_by_role("listitem").filter(has_text=title).first
    expect(match.get_by_role("img", name="Desk by a blue window")).to_be_visible()
    expect(match.get_by_role("list", name="Why it matches")).to_contain_text("2 photos")

    # The gallery, on a phone: swipe, then keys, then buttons; and at laptop width.
    student.goto(f"/#/listings/{listing['id']}")
    gallery = student.get_by_role("region", name=f"Photos of {title}")
    expect(gallery.get_by_text("Photo 1 of 2")).to_be_visible()
    expect(gallery.get_by_role("img", name="Desk by a blue window")).to_be_visible()
    frame = gallery.locator(".frame")
    box = frame.bounding_box()
    assert box is not None
    y = box["y"] + box["height"] / 2
    student.mouse.move(box["x"] + box["width"] * 0.8, y)
    student.mouse.down()
    student.mouse.move(box["x"] + box["width"] * 0.2, y, steps=5)
    student.mouse.up()
    expect(gallery.get_by_text("Photo 2 of 2")).to_be_visible()
    expect(gallery.get_by_role("img", name="Bedroom with a red wall")).to_be_visible()
    frame.focus()
    student.keyboard.press("ArrowRight")
    expect(gallery.get_by_text("Photo 1 of 2")).to_be_visible()
    student.keyboard.press("ArrowLeft")
    expect(gallery.get_by_text("Photo 2 of 2")).to_be_visible()
    student.set_viewport_size(LAPTOP)
    gallery.get_by_role("button", name="Next photo").click()
    expect(gallery.get_by_text("Photo 1 of 2")).to_be_visible()
    gallery.get_by_role("button", name="Show photo 2: Bedroom with a red wall").click()
    expect(gallery.get_by_role("img", name="Bedroom with a red wall")).to_be_visible()
    # The photo at its largest, in a tab of its own (a tap on it enlarged nothing).
    # Said to open a new tab before it does (a screen reader user was taken there unwarned).
    full = gallery.get_by_role("link", name="Full size of photo 2 (opens a new tab)", exact=True)
    expect(full).to_have_attribute("target", "_blank")
    # The last of the image's sources, by width: the largest variant.
    largest = (gallery.locator(".frame img").get_attribute("srcset") or "").split(", ")[-1].split(" ")[0]
    expect(full).to_have_attribute("href", largest)
    # The served image is a real, decoded WebP (naturalWidth > 0), not a broken one.
    shown = gallery.locator(".frame img")
    expect(shown).to_have_js_property("complete", True)
    assert shown.evaluate("img => img.naturalWidth") > 0

    # Deleting asks inline (it was the browser's confirm box), and its notice takes focus.
    host.get_by_role("button", name="Delete photo 2").click()
    host.get_by_role("button", name="Yes, delete it").click()
    expect(host.get_by_role("status").filter(has_text="Photo 2 deleted.")).to_be_focused()
    expect(host.get_by_role("heading", name="Photos (1 of 20)")).to_be_visible()
    assert pages.errors == [], pages.errors
