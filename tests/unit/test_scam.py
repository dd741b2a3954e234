"""Scam warnings: each rule's true positives, and the false positives it must not raise."""

from __future__ import annotations

import pytest

from services.messaging import scam

FLAGGED = [
    ("send the deposit via Western Union", "wire_transfer"),
    ("Please pay the first month through MoneyGram to my cousin.", "wire_transfer"),
    ("Send the $500 deposit. Western Union only.", "wire_transfer"),
    ("You can wire the deposit to my account tonight", "wire_transfer"),
    ("I only accept bank transfer for the rent", "wire_transfer"),
    ("Here is my IBAN for the booking", "wire_transfer"),
    ("Buy two Steam cards and send me the codes", "gift_cards"),
    ("You can pay the deposit with Amazon gift cards", "gift_cards"),
    ("Zelle me the deposit and the room is yours", "payment_app"),
    ("Just Venmo me when you can", "payment_app"),
    ("Rent is $900, Cash App $DrHostRooms", "payment_app"),
    ("Send the money by PayPal friends and family so there are no fees", "paypal_friends_family"),
    ("PayPal F&F only please", "paypal_friends_family"),
    ("I take the deposit in bitcoin or USDT", "crypto"),
    ("Send 0.02 BTC to my wallet address to confirm", "crypto"),
    ("You need to pay the deposit before you can see the room", "deposit_before_viewing"),
    ("I can't show the apartment until you send the deposit", "deposit_before_viewing"),
    ("A $300 deposit to hold the room is required", "deposit_before_viewing"),
    ("Let's continue on WhatsApp, add me +44 7700 900123", "off_platform_contact"),
    ("Please email me at host.rooms@gmail.com for details", "off_platform_contact"),
    ("Call or text my number 410-555-0100", "off_platform_contact"),
    ("My email is dr.host@example.org", "off_platform_contact"),
    # Disguises: full-width letters, a zero-width space, capitals.
    ("SEND THE DEPOSIT VIA ＷＥＳＴＥＲＮ UNION", "wire_transfer"),
    ("zel\u200ble me the rent", "payment_app"),
    # What international students pay with, and what the audit found unflagged (issue: audit 2).
    ("To hold the room, send the first month by Wise or Revolut before you arrive.", "payment_app"),
    ("To hold the room, send the first month by Wise or Revolut before you arrive.", "deposit_before_viewing"),
    ("Send the rent through Wise, it is cheaper for you", "payment_app"),
    ("I have a Wise account, transfer the deposit there", "payment_app"),
    ("Revolut me the first month", "payment_app"),
    ("Pay me via Apple Pay please, 600 dollars", "payment_app"),
    ("Google Pay is fine for the deposit", "payment_app"),
    ("Pay with ZeIIe", "payment_app"),
    ("Money order for the deposit please", "check_or_money_order"),
    ("Pay the security deposit by cheque mailed to me", "check_or_money_order"),
    ("Please mail me a check for the first month", "check_or_money_order"),
    ("You can pay the rent by personal check", "check_or_money_order"),
    ("Put a check in the mail for $600 and the room is yours", "check_or_money_order"),
    ("A cashier's check for the rent, made out to me", "check_or_money_order"),
    ("Send the first month before you move in so I can keep it for you", "deposit_before_viewing"),
    ("Wire the money before your arrival", "deposit_before_viewing"),
    ("To secure your booking, send $500 now", "deposit_before_viewing"),
    ("reach me at host [at] gmail [dot] com to arrange payment", "off_platform_contact"),
    ("my address: dr.host (at) yahoo (dot) com", "off_platform_contact"),
    ("write to hostbob at gmail dot com", "off_platform_contact"),
    ("telegram: @hostbob", "off_platform_contact"),
    ("Find me on Telegram @hostbob_rooms", "off_platform_contact"),
    ("t.me/hostbob", "off_platform_contact"),
]

# The same asks written to slip past the rules (audit 5): letters spaced out, letters of
# other scripts that look Latin, digits or a capital I for letters, a number spaced out
# digit by digit or written the international way, an address spaced around its @.
EVASIONS = [
    ("text me on w h a t s a p p", "off_platform_contact"),
    ("text me on W.h.a.t.s.A.p.p", "off_platform_contact"),
    ("text me on Wh\u0430tsApp", "off_platform_contact"),  # Cyrillic а
    ("text me on w\u04bbatsapp", "off_platform_contact"),  # Cyrillic һ
    ("add me on teIegram", "off_platform_contact"),
    ("my number is 5 5 5 1 2 3 4 5 6 7", "off_platform_contact"),
    ("text me at +44 7700 900123", "off_platform_contact"),
    ("whatsapp +447700900123", "off_platform_contact"),
    ("bob @ gmail . com", "off_platform_contact"),
    ("pay me on z e l l e", "payment_app"),
    ("send the deposit by \u0396elle", "payment_app"),  # Greek Ζ
    ("send the deposit via z\u0435lle", "payment_app"),  # Cyrillic е
    ("send the deposit via venm0", "payment_app"),
    ("send the deposit via c-a-s-h-a-p-p", "payment_app"),
    ("send the deposit via Western Uni\u043en", "wire_transfer"),  # Cyrillic о
    # Left by audit 5 (audit msg2): the app's name split in two, a number in words.
    ("add me on tele gram", "off_platform_contact"),
    ("text me on Tele-Gram, it is easier", "off_platform_contact"),
    ("add me: t e l e gram", "off_platform_contact"),
    ("my number is five five five one two three four five six seven", "off_platform_contact"),
    ("call me: five five five, one two three four", "off_platform_contact"),
    ("Text me at 555 one two three four", "off_platform_contact"),
    ("my cell is four one oh five five five zero one zero zero", "off_platform_contact"),
    ("call 5 5 5 1 2 3 4 tonight", "off_platform_contact"),
]

CLEAN = [
    "the bus stop is next to the Western Union",
    "There is a MoneyGram office and a pharmacy on the corner.",
    "I got a gift card for my birthday!",
    "The apartment is wired for fast internet.",
    "I use Venmo to split dinners with my roommates",
    "My brother works in crypto research at Hopkins.",
    "Can I see the room before I pay anything?",
    "I will pay rent before the 1st of each month, see you soon",
    "Is there a WhatsApp group for the students on rotation?",
    "My NPI number is 1234567893",
    "The rent is $1,095.00 a month; the quote shows the total.",
    "Please call me Sam.",
    "The stay is 28 nights, from 2027-03-01 to 2027-03-29.",
    "Thanks! Cardiology rotation at Johns Hopkins in March.",
    # Near misses of the rules added after audit 2: a word, not a way to pay.
    "Check-in is at 3 pm, and I will check the heating before you arrive.",
    "I will check with the hospital and pay through Wardmate once you accept.",
    "Can I check in early? I'll pay the rest through Wardmate.",
    "Payment is due by check-in, through Wardmate as usual.",
    "I'll check the mail for the rotation letter.",
    "The Apple store is next to the hospital, and an apple a day keeps the doctor away.",
    "It would be wise to book early: the rent goes up in summer.",
    "Otherwise, the deposit goes through Wardmate like the rest.",
    "I'll send you the door code before you arrive.",
    "You pay through Wardmate before you arrive, nothing to me directly.",
    "I'd like to pay the first month before I move in, if the site lets me.",
    "The cafeteria takes Apple Pay and Google Pay.",
    "Is there a post office nearby that sells money orders?",
    "I'm at Hopkins at noon, meet me at the polka dot cafe.",
    "We have a Telegram group for residents.",
    "Ask @maria at the front desk for the key.",
    # Near misses of the evasion readings: initials, spaced numbers that are no phone,
    # other scripts, an @ that is not an address.
    "U S M L E step 1 done, I love the I C U",
    "text me when you land at B W I",
    "I can text you the door code 1 2 3 4 after acceptance",
    "My rotation ID is 2024 0601 1234 5678",
    "\u041f\u0440\u0438\u0432\u0435\u0442, \u043c\u043e\u0436\u043d\u043e \u0441\u043d\u044f\u0442\u044c?",
    "see you @ home. come by after the shift",
    "I was born in Lagos, learn more on my profile",
    # Near misses of "tele gram" and numbers in words: a few numbers, each its own thing.
    "One or two nights more would be fine, text me if the dates move.",
    "I have two three-hour shifts on Monday, call me after.",
    "Buy a gram of coffee at the corner shop, my number one tip.",
    "The room fits one, two or three people; message me with your dates.",
    "Call me between seven and nine, or text me at six.",
    "My phone plan has one two three four five six options",
    "I watched the tele, then had a gram of chocolate. Text me tomorrow!",
    "Call me about booking 2027-03-29, one more question first.",
    "Text me the code: 4821 5530 one time only",
]


@pytest.mark.parametrize(("text", "rule"), FLAGGED)
def test_scam_messages_are_flagged_with_their_rule(text: str, rule: str) -> None:
    """Each asking-to-pay-or-talk-elsewhere message raises its rule, with words to show."""
    warning = scam.check(text)
    assert warning is not None and rule in warning.rules, (text, warning)
    assert warning.text.startswith("Possible scam: this message ")


@pytest.mark.parametrize(("text", "rule"), EVASIONS)
def test_spelled_out_and_lookalike_asks_are_flagged(text: str, rule: str) -> None:
    """An ask spaced out, in lookalike letters or digits, or spaced around its @ or digit
    by digit raises the rule its plain spelling raises."""
    warning = scam.check(text)
    assert warning is not None and rule in warning.rules, (text, warning)


@pytest.mark.parametrize("text", CLEAN)
def test_ordinary_messages_are_not_flagged(text: str) -> None:
    """A payment service named without a request to pay, or ordinary talk, is not flagged."""
    assert scam.check(text) is None


def test_the_advice_fits_what_the_conversation_is_about() -> None:
    """A mentor's "session fee" was answered with advice about stays, check-in and hosts."""
    stay = scam.check("Send $50 by Zelle for the deposit")
    assert stay is not None and "24 hours after check-in" in stay.text and "Never pay a host" in stay.text
    # A guest's message read by its host: a host's advice (it told the host "Never pay a host").
    to_host = scam.check("Can I pay the deposit by Western Union?", about="direct", to_host=True)
    assert to_host is not None and "Take payment only through Wardmate" in to_host.text
    assert "Never pay a host" not in to_host.text and "holds your payment" not in to_host.text
    mentoring = scam.check("Send $50 by Zelle for the session fee", contact_ok=True, about="mentorship")
    assert mentoring is not None and mentoring.rules == ("payment_app",)
    assert mentoring.text.startswith("Possible scam: this message asks for payment through an app outside Wardmate")
    assert "Wardmate takes no payment for mentoring" in mentoring.text
    assert "check-in" not in mentoring.text and "host" not in mentoring.text


def test_contacts_are_fine_once_the_booking_is_accepted() -> None:
    """Sharing an email or a number is expected after acceptance; asking to pay off the
    platform is not."""
    assert scam.check("My email is dr.host@example.org", contact_ok=True) is None
    assert scam.check("Add me on WhatsApp", contact_ok=True) is None
    late = scam.check("Zelle me the rent instead", contact_ok=True)
    assert late is not None and late.rules == ("payment_app",)


def test_several_rules_are_named_once_each() -> None:
    """A message that breaks several rules names each reason once."""
    warning = scam.check("Send the deposit via Western Union or Zelle me. Western Union is best. Email me.")
    assert warning is not None
    assert warning.rules == ("wire_transfer", "payment_app", "off_platform_contact")
    assert warning.text.count("wire or money transfer") == 1
