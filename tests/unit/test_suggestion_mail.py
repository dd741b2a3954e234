"""``views.mail.suggestions_mail``: match suggestions that came together, in one mail."""

from __future__ import annotations

from services.accounts.mailer import Mailer
from services.accounts.views.mail import notification_mail, suggestions_mail
from shared.errors import sentence
from shared.settings import Settings

ROOM = ("A room fits your neurology rotation: “Quiet room” & more", ("See the listing", "https://w.test/#/listings/1"))
MENTOR = ("Dr. Ada could mentor you", ("See your rotation's matches", "https://w.test/#/rotations/2"))


def rendered(*args: object) -> tuple[str, str, str]:
    message = Mailer(Settings()).render(suggestions_mail("a@w.test", "Kemi", *args))  # type: ignore[arg-type]
    parts = {p.get_content_type(): str(p.get_content()) for p in message.walk() if not p.is_multipart()}
    return str(message["Subject"]), parts["text/plain"], parts["text/html"]


def test_suggestions_of_one_rotation_list_each_with_its_link() -> None:
    subject, text, page = rendered([ROOM, MENTOR], 1, "https://w.test/unsub", "k")
    assert subject == "2 matches for your rotation"
    assert "Wardmate found 2 matches for your rotation:" in text
    assert (
        "- A room fits your neurology rotation: “Quiet room” & more\n  See the listing: https://w.test/#/listings/1"
        in text
    )
    assert "See your rotation's matches: https://w.test/#/rotations/2" in text
    # Escaped in HTML, as every mail's text is.
    assert "“Quiet room” &amp; more" in page and '<a href="https://w.test/#/rotations/2">' in page


def test_suggestions_of_several_rotations_say_so_and_one_alone_reads_as_its_notice() -> None:
    assert rendered([ROOM, MENTOR], 2, "https://w.test/unsub", "k")[0] == "2 matches for your rotations"
    subject, text, _ = rendered([MENTOR], 1, "https://w.test/unsub", "k")
    assert subject == "A match for your rotation"
    assert "Dr. Ada could mentor you" in text and "https://w.test/#/rotations/2" in text


def test_a_notices_mail_says_it_as_a_sentence() -> None:
    """Notices are stored as short lines, most without a full stop; their mails end them."""
    message = Mailer(Settings()).render(
        notification_mail(
            "booking_declined",
            "a@w.test",
            "Kemi",
            "Dr. Ada declined your request for “Quiet room”",
            ("See your bookings", "https://w.test/#/bookings"),
            None,
            "k",
        )
    )
    text = str(next(p.get_content() for p in message.walk() if p.get_content_type() == "text/plain"))
    assert "Dr. Ada declined your request for “Quiet room”.\n" in text
    assert [sentence(t) for t in ("Paid.", "Really?", "It said “stop.”", "  spaced  ")] == [
        "Paid.",
        "Really?",
        "It said “stop.”",
        "Spaced.",  # capitalized, as the web client says it
    ]
