"""Requests as the services take them: a JSON body parsed strictly, a query string typed by
the route's OpenAPI parameters."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from aiohttp import web
from multidict import MultiMapping

from services.gateway.openapi import query_parameters
from services.gateway.routes import Route
from shared.errors import AppError


async def read_json(request: web.Request) -> dict[str, Any]:
    if not request.body_exists:
        return {}
    ctype = request.content_type
    if ctype not in ("application/json", "application/octet-stream", ""):
        raise AppError("validation", "send the body as application/json")
    raw = await request.read()
    # Only a truly empty body means "nothing": b"\x0c" or b" " is not JSON (Python's
    # bytes.strip() once took a form feed for an empty body, and a PATCH answered 200).
    if not raw:
        return {}
    try:
        body = json.loads(raw, parse_constant=_refuse_constant)
    except (ValueError, UnicodeDecodeError, RecursionError):
        # RecursionError: a body nested thousands of levels deep.
        raise AppError("validation", "the body is not valid JSON") from None
    if not isinstance(body, dict):
        raise AppError("validation", "the body must be a JSON object")
    return body


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")  # Python's json takes NaN and Infinity; JSON does not


# A query value read as JSON would read it, for the parameters typed integer or number
# (the contract then takes 3 and 3.0 as an integer, not 3.5). No bound of ours has 100
# digits, and Python refuses to parse an integer of 4300.
_JSON_NUMBER = re.compile(r"-?(0|[1-9][0-9]{0,99})(\.[0-9]+)?([eE][+-]?[0-9]+)?")


def _json_number(value: str) -> Any:
    return json.loads(value, parse_constant=_refuse_constant) if _JSON_NUMBER.fullmatch(value) else value


_SCALARS: dict[str, Callable[[str], Any]] = {
    "integer": _json_number,
    "number": _json_number,
    "boolean": lambda v: {"true": True, "false": False}.get(v, v),
}


def query_decoder(route: Route) -> Callable[[MultiMapping[str]], dict[str, Any]]:
    """Turn a route's query string into the JSON its contract validates strictly, by the
    documented parameter schemas: ``?limit=3`` sends 3, ``?amenities=a,b`` sends
    ``["a", "b"]``. A value that does not read as its type is passed on as text, so the
    contract refuses it with its own message."""
    kinds = {p["name"]: p["schema"] for p in query_parameters(route)}

    def decode(query: MultiMapping[str]) -> dict[str, Any]:
        payload: dict[str, Any] = {}
        for name in query:
            values = query.getall(name)
            if len(values) > 1:
                raise AppError("validation", f"give {name} once", [{"field": name, "message": "repeated"}])
            value = values[0]
            schema = kinds.get(name, {})
            if schema.get("type") == "array":
                convert = _SCALARS.get(schema.get("items", {}).get("type", "string"), str)
                payload[name] = [convert(v) for v in value.split(",")] if value else []
            else:
                payload[name] = _SCALARS.get(schema.get("type", "string"), str)(value)
        return payload

    return decode
