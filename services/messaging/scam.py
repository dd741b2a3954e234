"""Scam warnings: the rules that flag a message asking to pay, or to talk, off Wardmate.

What students on rotations lose money to is a "host" who asks for a deposit by wire or
app transfer and disappears. A flagged message is still delivered, with a warning its
recipient reads: a warning costs an honest sender nothing. The rules and what each
catches are specified in the README (Messaging, "Scam warnings"); ``check`` is the one
entry point, pure, and ``tests/unit/test_scam.py`` holds the true and false positives
each rule is held to.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from anyascii import anyascii

# The words that make a payment service's mention a request to pay.
_PAYMENT_WORDS = re.compile(
    r"\b(?:pay|pays|paid|paying|payment|payments|send|sending|sent|transfer|transferring|wire|wired|"
    r"deposit|deposits|rent|fee|fees|money|funds|upfront|up front|in advance|advance|owe|"
    r"buy|purchase|code|codes|amount|reserve|hold)\b"
    r"|\$\s?\d|\b\d[\d,.]*\s?(?:usd|dollars|bucks)\b"
)
_CONTACT_WORDS = re.compile(
    r"\b(?:me|my|us|our|contact|message|text|chat|talk|reach|add|continue|move|number|write|call)\b"
)


# Payment apps by name; "zelle" also as written with a capital I for its l's ("ZeIIe").
_APPS = (
    r"ze[l1i|]{2}e|venmo|cash\s*-?\s*app|pay\s*pal|revolut|transfer\s*wise|apple\s*(?:pay|cash)"
    r"|google\s*pay|g-?pay|samsung\s*pay"
)
_APP_REASON = (
    "asks for payment through an app outside Wardmate (Zelle, Venmo, Cash App, PayPal, Wise, Revolut, Apple Pay,"
    " Google Pay), which has no protection"
)
# A check as a payment, never "check-in" or "check out".
_CHECK = r"checks?(?![\w-])(?!\s+(?:in|out)\b(?!\s+the\s+(?:mail|post)\b))"
# Ways to arrive: a payment asked "before you arrive" is a payment before seeing the room.
_ARRIVAL = r"arrive|arriving|arrival|move\s*-?\s*in|moving\s+in|get\s+here|come|coming|check\s*-?\s*in"
# A mail address with "at" and "dot" spelled out: bracketed, or a well-known provider.
_OBFUSCATED_EMAIL = (
    r"[a-z0-9._%+-]+\s*[\[({<]\s*at\s*[\])}>]\s*[a-z0-9-]+(?:\s*[\[({<]\s*dot\s*[\])}>]\s*|\.)[a-z]{2,}"
    r"|[a-z0-9._%+-]+\s+at\s+(?:gmail|googlemail|yahoo|hotmail|outlook|icloud|aol|proton(?:mail)?|gmx)"
    r"(?:\s*[\[({<]\s*dot\s*[\])}>]\s*|\s+dot\s+|\.)[a-z]{2,}"
)


# The fewest digits read as a phone number when spaced out one by one or spelled out in
# words: a local number without its area code.
PHONE_DIGITS = 7


@dataclass(frozen=True)
class Rule:
    code: str
    reason: str
    pattern: re.Pattern[str]
    # The mention counts only with payment (or, for contact, contact) words nearby.
    context: re.Pattern[str] | None = None
    # Only while the conversation has no accepted booking (sharing contacts after is fine).
    before_acceptance_only: bool = False


RULES: tuple[Rule, ...] = (
    Rule(
        "wire_transfer",
        "asks for a wire or money transfer (Western Union, MoneyGram, bank wire), which cannot be called back",
        re.compile(r"\b(?:western\s*union|money\s*gram|ria\s+money|remitly|world\s*remit)\b"),
        _PAYMENT_WORDS,
    ),
    Rule(
        "wire_transfer",
        "asks for a wire or money transfer (Western Union, MoneyGram, bank wire), which cannot be called back",
        re.compile(
            r"\b(?:wire\s+transfer|bank\s+transfer|bank\s+wire|by\s+wire|via\s+wire|routing\s+number|iban)\b"
            r"|\bwire[ds]?\s+(?:me\s+|us\s+)?(?:the\s+|a\s+|your\s+)?"
            r"(?:money|funds|deposit|payment|rent|amount|cash|\$)"
        ),
    ),
    Rule(
        "check_or_money_order",
        "asks for a money order or a cheque sent to the host, a payment outside Wardmate with no protection",
        re.compile(r"\bmoney\s*-?\s*orders?\b|\bcheques?\b|\b(?:cashier['’]?s|certified|bank)\s+checks?\b"),
        _PAYMENT_WORDS,
    ),
    Rule(
        "check_or_money_order",
        "asks for a money order or a cheque sent to the host, a payment outside Wardmate with no protection",
        # "check" alone is a verb and half of "check-in": only a check that is paid or mailed.
        re.compile(
            rf"\b(?:pay|paid|paying|payment|rent|deposit)\s+(?:\w+\s+){{0,3}}?(?:by|with|in)\s+(?:a\s+)?"
            rf"(?:personal\s+)?{_CHECK}"
            rf"|\b(?:mail|post|send)\s+(?:me\s+|us\s+)?(?:a\s+|the\s+|your\s+)?(?:personal\s+)?{_CHECK}"
            rf"|\b{_CHECK}\s+(?:by|in\s+the|through\s+the)\s+(?:mail|post)\b"
            rf"|\b{_CHECK}\s+(?:mailed|posted|sent|made\s+out|payable)\b"
        ),
    ),
    Rule(
        "gift_cards",
        "asks for payment in gift cards, which no real host accepts",
        re.compile(
            r"\b(?:gift\s*cards?|(?:itunes|apple|google\s*play|steam|amazon|ebay|vanilla)\s+(?:gift\s+)?cards?"
            r"|prepaid\s+(?:visa\s+)?cards?)\b"
        ),
        _PAYMENT_WORDS,
    ),
    Rule(
        "paypal_friends_family",
        'asks for PayPal "friends and family", a payment with no buyer protection',
        re.compile(
            r"\bpay\s*pal\b.{0,60}?(?:\b(?:friends?|family)\s*(?:and|&|n)\s*(?:friends?|family)\b|\bf\s*&\s*f\b|\bfnf\b)"
            r"|(?:\b(?:friends?|family)\s*(?:and|&|n)\s*(?:friends?|family)\b|\bf\s*&\s*f\b).{0,60}?\bpay\s*pal\b"
        ),
    ),
    Rule(
        "payment_app",
        _APP_REASON,
        re.compile(
            rf"\b(?:{_APPS})\b|(?<![\w$])\$[a-z][a-z0-9_-]{{2,}}\b"
            # "wise" is also a word ("it would be wise to..."): only as a way to pay.
            r"|\b(?:via|by|through|using|over|on)\s+wise\b|\bwise\s+(?:transfer|account|app|payment)s?\b"
        ),
        _PAYMENT_WORDS,
    ),
    Rule(
        "payment_app",
        _APP_REASON,
        re.compile(rf"\b(?:{_APPS})\s+(?:me|you|him|her|us|them|it)\b"),
    ),
    Rule(
        "crypto",
        "asks for payment in cryptocurrency, which cannot be reversed",
        re.compile(r"\b(?:bitcoin|btc|ethereum|usdt|usdc|crypto(?:currency)?|wallet\s+address|binance|coinbase)\b"),
        _PAYMENT_WORDS,
    ),
    Rule(
        "deposit_before_viewing",
        "asks for a deposit or payment before you have seen the room or your booking is accepted",
        re.compile(
            # "pay the deposit before you can see the room": "before" then up to three words.
            r"\b(?:deposit|pay|payment|money|rent|first\s+month)\b[^.!?\n]{0,60}?\bbefore\s+(?:[\w']+\s+){0,3}?"
            r"(?:view|viewing|see|seeing|visit|visiting|tour|touring|showing|meet|meeting|inspect\w*)\b"
            # "send the first month before you arrive": the student's arrival, not the sender's.
            # ("pay before you arrive" alone is also how paying through Wardmate works.)
            r"|\b(?:deposit|money|funds|first\s+month|transfer|wire)\b[^.!?\n]{0,60}?\bbefore\s+"
            rf"(?:you(?:'re|\s+are)?|your)\s+(?:[\w']+\s+){{0,2}}?(?:{_ARRIVAL})\b"
            # "I can't show it until you send the deposit"
            r"|\b(?:can'?t|cannot|can\s+not|won'?t|will\s+not|unable\s+to)\s+(?:show|see|view|visit|tour|meet)\b"
            r"[^.!?\n]{0,60}?\b(?:until|unless|before)\s+(?:[\w']+\s+){0,3}?(?:pay|paid|deposit|payment|send)"
            # "a deposit to hold the room"
            r"|\b(?:deposit|pay|payment)\b[^.!?\n]{0,40}?\bto\s+(?:hold|secure|reserve|lock(?:\s+in)?)\s+"
            r"(?:(?:the|your|this|my)\s+)?(?:room|place|spot|booking|dates|apartment|flat|unit|it)\b"
            # "to hold the room, send the first month": sending, not paying (which may mean Wardmate).
            r"|\bto\s+(?:hold|secure|reserve|lock(?:\s+in)?)\s+(?:(?:the|your|this|my)\s+)?"
            r"(?:room|place|spot|booking|dates|apartment|flat|unit|it)\b[^.!?\n]{0,40}?"
            r"\b(?:send|transfer|wire|deposit)\b"
        ),
    ),
    Rule(
        "off_platform_contact",
        "asks to move the conversation off Wardmate (WhatsApp, email, phone) before a booking is accepted",
        # "tele gram" split in two is still the app; "gram" alone ("a gram of") is not.
        re.compile(r"\b(?:whats\s*-?\s*app|tele\s*[-._]?\s*gram|wechat|viber|signal\s+app)\b|\bwa\.me/"),
        _CONTACT_WORDS,
        before_acceptance_only=True,
    ),
    Rule(
        "off_platform_contact",
        "asks to move the conversation off Wardmate (WhatsApp, email, phone) before a booking is accepted",
        # A handle given with its app ("telegram: @hostbob"), or a Telegram link.
        re.compile(
            r"\b(?:tele\s*[-._]?\s*gram|whats\s*-?\s*app|wechat|viber|instagram|insta|snapchat)\b"
            r"[^@.!?\n]{0,20}?@[a-z0-9_][a-z0-9_.]{2,}|\bt\.me/"
        ),
        before_acceptance_only=True,
    ),
    Rule(
        "off_platform_contact",
        "asks to move the conversation off Wardmate (WhatsApp, email, phone) before a booking is accepted",
        re.compile(
            r"[a-z0-9._%+-]+@[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}"
            # Spaced out ("bob @ gmail . com"): only before a common ending, so "see you @
            # home. come by" is not an address.
            r"|[a-z0-9._%+-]+\s*@\s*[a-z0-9-]+\s*\.\s*(?:com|net|org|edu|gov|io|co|info|biz|uk|ca|de|fr|ng)\b"
            rf"|{_OBFUSCATED_EMAIL}"
            r"|\be-?mail\s+me\b|\bmy\s+(?:e-?mail|gmail|cell|mobile|phone\s+number|whats\s*app)"
            r"(?:\s+address)?\s+is\b"
        ),
        before_acceptance_only=True,
    ),
    Rule(
        "off_platform_contact",
        "asks to move the conversation off Wardmate (WhatsApp, email, phone) before a booking is accepted",
        # Written with separators: ten bare digits are as often an NPI or a reference. A
        # leading + (an international number) or digits spaced out one by one ("5 5 5 1 2
        # 3 4", which no reference is written as; seven at least, a local number, which is
        # also how the skeleton writes one spelled out in words) are a number however grouped.
        re.compile(
            r"(?<![\d/-])(?:\+\d{1,3}[\s.-]?)?(?:\(\d{3}\)\s?|\d{3}[\s.-])\d{3}[\s.-]\d{4}(?![\d/-])"
            r"|(?<![\w+])\+\d(?:[\s.-]?\d){7,14}(?![\d/-])"
            rf"|(?<![\d/-])(?:\d[\s.-]){{{PHONE_DIGITS - 1},14}}\d(?![\d/-])"
        ),
        re.compile(r"\b(?:call|text|phone|cell|mobile|number|reach|contact|whats\s*-?\s*app|sms)\b"),
        before_acceptance_only=True,
    ),
)

_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"))
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+|;")
FRAGMENT_WORDS = 4


@dataclass(frozen=True)
class ScamWarning:
    """Why a message was flagged: the rule codes, and the text the recipient reads."""

    rules: tuple[str, ...]
    text: str


def normalize(text: str) -> str:
    """Fold look-alike characters (NFKC), drop zero-width ones, lower-case."""
    return unicodedata.normalize("NFKC", text).translate(_ZERO_WIDTH).casefold()


# A capital I written for an l inside a word ("teIegram", "PaypaI"; "ZeIIe" has its own).
_CAPITAL_I_FOR_L = re.compile(r"(?<=[a-z])I|I(?=[a-z])")
# A 0 or 1 inside a word, for an o or an l ("venm0", "ze11e", "te1egram").
_DIGIT_FOR_LETTER = re.compile(r"(?<=[a-z])[01]|[01](?=[a-z])")
# Letters spaced out one by one ("w h a t s a p p", "V.e.n.m.o", "z-e-l-l-e"): at least
# three, each alone between separators.
_SPACED_OUT = re.compile(r"(?<![a-z0-9])(?:[a-z0-9][ .\-_*·•]){2,}[a-z0-9](?![a-z0-9])")


# Digits spelled out ("five five five one two three four"), alone or among digits ("555
# one two three four"): a run of them, each a whole word, separated by spaces, commas,
# dots or hyphens.
_DIGIT_WORDS = {
    "zero": "0",
    "oh": "0",
    "one": "1",
    "two": "2",
    "three": "3",
    "four": "4",
    "five": "5",
    "six": "6",
    "seven": "7",
    "eight": "8",
    "nine": "9",
}
_NUMBER_TOKEN = rf"\b(?:{'|'.join(_DIGIT_WORDS)}|\d+)\b"
_NUMBER_RUN = re.compile(rf"{_NUMBER_TOKEN}(?:[\s,.-]+{_NUMBER_TOKEN})+")


# The fewest digits spelled out in words for a run to be read as a number: a date and a
# word after it ("booking 2027-03-29, one more question") is no phone number.
SPELLED_DIGITS = 3


def _spelled_number(run: re.Match[str]) -> str:
    """A run of digit words (``SPELLED_DIGITS`` of them at least spelled out) of
    ``PHONE_DIGITS`` digits or more as its digits spaced out one by one, as the phone rule
    reads them; any other run as it is ("one or two nights" is no run, "two three-hour
    shifts" two digits)."""
    tokens = re.findall(_NUMBER_TOKEN, run.group())
    digits = "".join(_DIGIT_WORDS.get(token, token) for token in tokens)
    spelled = sum(not token.isdigit() for token in tokens)
    if spelled < SPELLED_DIGITS or len(digits) < PHONE_DIGITS:
        return run.group()
    return " ".join(digits)


def _lookalike(char: str) -> str:
    """A letter of another script as the Latin one it looks like (a Cyrillic "а", a Greek
    "Ζ"); anything else as it is (an emoji's name or a currency's code would add words)."""
    if char.isascii() or not unicodedata.category(char).startswith("L"):
        return char
    return anyascii(char) or char


def skeleton(text: str) -> str:
    """``text`` as a reader sees it, for the rules' second look: lookalike letters of other
    scripts and digits or a capital I inside words read as the Latin letters, and letters
    spaced out one by one joined, and a phone number spelled out in words as its digits
    ("five five five one two three four" as "5 5 5 1 2 3 4"). A sender who writes "w h a t
    s a p p" or "vеnmo" with a Cyrillic е means the word; the rules run on both this and
    ``normalize``, so a skeleton only adds matches."""
    text = _CAPITAL_I_FOR_L.sub("l", unicodedata.normalize("NFKC", text).translate(_ZERO_WIDTH))
    text = "".join(map(_lookalike, text)).casefold()
    text = _DIGIT_FOR_LETTER.sub(lambda m: "o" if m.group() == "0" else "l", text)
    text = _SPACED_OUT.sub(lambda m: re.sub(r"[^a-z0-9]", "", m.group()), text)
    # After the joining above, which would make the spaced digits one bare number again.
    return _NUMBER_RUN.sub(_spelled_number, text)


def _sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence: split after . ! ? followed by space, at newlines
    and semicolons (so "$1,095.00" stays whole)."""
    spans, start = [], 0
    for m in _SENTENCE_END.finditer(text):
        spans.append((start, m.start()))
        start = m.end()
    spans.append((start, len(text)))
    return spans


def _has_context(
    text: str, spans: list[tuple[int, int]], start: int, mention: re.Pattern[str], words: re.Pattern[str]
) -> bool:
    """Whether ``words`` occur near the mention at ``start`` (every mention in its sentence
    blanked: in "takes Apple Pay and Google Pay" neither name's "pay" asks to pay)."""
    index = next(i for i, (a, b) in enumerate(spans) if a <= start <= b)
    a, b = spans[index]
    blanked = mention.sub(lambda m: " " * len(m.group()), text[a:b])
    if words.search(blanked):
        return True
    if index > 0 and len(text[a:b].split()) <= FRAGMENT_WORDS:
        prev_a, prev_b = spans[index - 1]
        return bool(words.search(text[prev_a:prev_b]))
    return False


def _matches(rule: Rule, text: str, spans: list[tuple[int, int]]) -> bool:
    return any(
        rule.context is None or _has_context(text, spans, m.start(), rule.pattern, rule.context)
        for m in rule.pattern.finditer(text)
    )


# What the warning advises, by what the conversation is about: a mentorship's read of
# stays, check-in and hosts ("Never pay a host …" under a mentor's "session fee").
_STAY_ADVICE = (
    "Pay only through Wardmate: it holds your payment until 24 hours after check-in. Never pay a host by wire,"
    " gift card or app, don't share contact details before your booking is accepted, and report the message if"
    " in doubt."
)
# A guest's message read by its host ("can I pay by Western Union?"): the host told "Never
# pay a host by wire" was given a guest's advice.
_HOST_ADVICE = (
    "Take payment only through Wardmate: money sent another way (wire, cheque, gift card or app) has no"
    " protection and can be reversed after the guest has moved in, and an overpayment to pay back is a known"
    " scam. Don't share contact details before you accept the booking, and report the message if in doubt."
)
_MENTORING_ADVICE = (
    "Wardmate takes no payment for mentoring, and a mentor asking for money is a known scam: never pay by wire,"
    " gift card or app, and report the message if in doubt."
)


def check(text: str, *, contact_ok: bool = False, about: str = "booking", to_host: bool = False) -> ScamWarning | None:
    """The warning for ``text``, or None. ``contact_ok``: the conversation's booking is
    accepted (or it is a mentorship), so sharing an email or a number is expected;
    ``about``: the conversation's kind (booking, mentorship, direct), which the advice fits;
    ``to_host``: a student wrote it to a host, who reads a host's advice."""
    folded = normalize(text)
    readings = [(folded, _sentences(folded))]
    if (seen := skeleton(text)) != folded:
        readings.append((seen, _sentences(seen)))
    codes: list[str] = []
    reasons: list[str] = []
    for rule in RULES:
        if rule.code in codes or (rule.before_acceptance_only and contact_ok):
            continue
        if any(_matches(rule, reading, spans) for reading, spans in readings):
            codes.append(rule.code)
            reasons.append(rule.reason)
    if not codes:
        return None
    advice = _MENTORING_ADVICE if about == "mentorship" else _HOST_ADVICE if to_host else _STAY_ADVICE
    return ScamWarning(tuple(codes), "Possible scam: this message " + "; it also ".join(reasons) + ". " + advice)
