"""The one error type of Wardmate and its codes.

Hierarchy::

    AppError(code, message, details)
      code is one of:
        validation    -> HTTP 400   bad input; details lists the fields
        unauthorized  -> HTTP 401   no or bad credentials
        forbidden     -> HTTP 403   authenticated, but the wrong party for this action
        not_found     -> HTTP 404   no such object, or not visible to the caller
        conflict      -> HTTP 409   the state forbids it (double booking, duplicate email)
        rate_limited  -> HTTP 429   too many attempts
        method_not_allowed, payload_too_large -> 405, 413 (gateway only)
        unavailable   -> HTTP 503   a dependency is down (NATS no responders)
        timeout       -> HTTP 504   a service did not answer in time (gateway only)
        internal      -> HTTP 500   unexpected; never carries detail to a client

Services raise ``AppError``; the service runner turns it into an error reply, the
request helper turns the reply back into ``AppError``, and one gateway middleware
maps it to a status and ``{"error": {"code", "message", "details"}}``.
"""

from __future__ import annotations

from typing import Any, Literal

ErrorCode = Literal[
    "validation",
    "unauthorized",
    "forbidden",
    "not_found",
    "conflict",
    "rate_limited",
    "method_not_allowed",
    "payload_too_large",
    "unavailable",
    "timeout",
    "internal",
]

HTTP_STATUS: dict[str, int] = {
    "validation": 400,
    "unauthorized": 401,
    "forbidden": 403,
    "not_found": 404,
    "conflict": 409,
    "rate_limited": 429,
    "method_not_allowed": 405,
    "payload_too_large": 413,
    "unavailable": 503,
    "timeout": 504,
    "internal": 500,
}


class AppError(Exception):
    """A failure the caller should hear about, with a code from ``ErrorCode``."""

    def __init__(self, code: ErrorCode, message: str, details: Any = None) -> None:
        super().__init__(message)
        self.code: ErrorCode = code
        self.message = message
        self.details = details

    def to_dict(self) -> dict[str, Any]:
        """The JSON body clients see: ``{"error": {...}}``. A field's message reads as a
        sentence, as pydantic's do ("Must be today or later."): those the services write
        read "must be today or later" beside them."""
        details = self.details
        if isinstance(details, list):
            details = [
                {**d, "message": sentence(d["message"])}
                if isinstance(d, dict) and isinstance(d.get("message"), str)
                else d
                for d in details
            ]
        return {"error": {"code": self.code, "message": self.message, "details": details}}

    @property
    def status(self) -> int:
        return HTTP_STATUS.get(self.code, 500)

    def __repr__(self) -> str:
        return f"AppError({self.code!r}, {self.message!r})"


class FieldError(ValueError):
    """A rule across fields, blamed on one of them: raised in a contract's validator, it
    reaches the client beside ``field`` (pydantic alone would put it on the whole form)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


# What a person reads beside a field, by pydantic's error type (its own messages are
# written for developers: "String should have at least 10 characters").
_WORDS: dict[str, str] = {
    "missing": "Required.",
    "string_too_short": "Write at least {min_length} characters.",
    "string_too_long": "Write at most {max_length} characters.",
    "too_short": "Give at least {min_length}.",
    "too_long": "Give at most {max_length}.",
    "greater_than": "Must be more than {gt}.",
    "greater_than_equal": "Must be {ge} or more.",
    "less_than": "Must be less than {lt}.",
    "less_than_equal": "Must be {le} or less.",
    "int_type": "Enter a whole number.",
    "int_parsing": "Enter a whole number.",
    "int_from_float": "Enter a whole number.",
    "float_type": "Enter a number.",
    "float_parsing": "Enter a number.",
    "finite_number": "Enter a number.",
    "bool_type": "Choose yes or no.",
    "string_type": "Must be text.",
    "literal_error": "Choose one of {expected}.",
    "enum": "Choose one of {expected}.",
    "date_type": "Choose a date.",
    "uuid_type": "Not a valid id.",
    "extra_forbidden": "Not a field of this form.",
    "list_type": "Must be a list.",
    "dict_type": "Must be an object.",
    "string_pattern_mismatch": "Not in the expected format.",
}


def sentence(text: str) -> str:
    """``text`` as a sentence on its own: capitalized, with its full stop (one closing a
    quotation counts: 'It said “stop.”')."""
    text = text.strip()
    ends = (".", "?", "!", ".”", "?”", "!”")
    return (text[:1].upper() + text[1:] + ("" if text.endswith(ends) else ".")) if text else text


def _words(err: dict[str, Any], patterns: dict[str, str] | None) -> str:
    kind = err.get("type", "")
    ctx = err.get("ctx") or {}
    if kind in ("string_too_short", "too_short") and ctx.get("min_length") == 1:
        return "Required."  # a list too: "Give at least 1." beside a meeting's first time
    if kind == "string_pattern_mismatch" and err.get("input") == "":
        return "Required."  # an empty address read as a paragraph on what addresses may hold
    if kind == "string_pattern_mismatch" and "\x00" in str(err.get("input", "")):
        # Every pattern refuses it; "must have a visible character" said of "a\x00b" misled.
        return "Must not contain U+0000 (a NUL character)."
    if kind == "string_pattern_mismatch" and patterns and ctx.get("pattern") in patterns:
        return sentence(patterns[ctx["pattern"]])
    if kind == "value_error" and isinstance(ctx.get("error"), ValueError):
        return sentence(str(ctx["error"]))
    template = _WORDS.get(kind)
    if template is None:
        return sentence(str(err.get("msg", "invalid")))
    # A bound of a float field written as a person would: "500", not "500.0".
    bounds = {k: int(v) if isinstance(v, float) and v.is_integer() else v for k, v in ctx.items()}
    try:
        return template.format(**bounds)
    except (KeyError, IndexError):
        return sentence(str(err.get("msg", "invalid")))


def validation_details(errors: list[Any], patterns: dict[str, str] | None = None) -> list[dict[str, Any]]:
    """Reduce pydantic's error list to what a client needs: the field's path and a message
    written for the person filling the form (``patterns`` words a known pattern's failure,
    which pydantic states as the regex itself). A ``FieldError`` names its own field."""
    out = []
    for err in errors:
        path = [str(p) for p in err.get("loc", ()) if p != "__root__"]
        cause = (err.get("ctx") or {}).get("error")
        if isinstance(cause, FieldError):
            path.append(cause.field)
        out.append({"field": ".".join(path) or None, "message": _words(err, patterns)})
    return out
