"""The OpenAPI document is valid and states what the request contracts enforce."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from multidict import MultiDict
from openapi_spec_validator import validate
from pydantic import BaseModel, ValidationError

from services.gateway.decode import query_decoder
from services.gateway.openapi import build_openapi, has_body
from services.gateway.routes import ROUTES, Route
from shared.errors import AppError

DOC = build_openapi(ROUTES, "/api/v1")
REQUESTS = sorted({r.request for r in ROUTES}, key=lambda m: m.__name__)


def route(method: str, path: str) -> Route:
    return next(r for r in ROUTES if (r.method, r.path) == (method, path))


def request_schemas() -> Iterator[tuple[str, dict[str, Any]]]:
    """Every schema a client sends against: parameters and body properties, with where."""
    for path, ops in DOC["paths"].items():
        for method, op in ops.items():
            for param in op.get("parameters", []):
                yield f"{method} {path} {param['name']}", param["schema"]
            body = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema", {})
            for name, prop in body.get("properties", {}).items():
                yield f"{method} {path} body.{name}", prop


def resolved(schema: dict[str, Any]) -> dict[str, Any]:
    """A schema, or the component it refers to."""
    ref = schema.get("$ref")
    return DOC["components"]["schemas"][ref.rsplit("/", 1)[-1]] if ref else schema


def leaves(schema: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The non-null scalar schemas inside one (through anyOf, array items, nested objects'
    properties, and a map's keys and values)."""
    for option in resolved(schema).get("anyOf", [resolved(schema)]):
        option = resolved(option)
        if option.get("type") == "array":
            yield from leaves(option["items"])
        elif option.get("type") == "object":
            for prop in option.get("properties", {}).values():
                yield from leaves(prop)
            if isinstance(option.get("additionalProperties"), dict):
                yield from leaves(option["additionalProperties"])
            if "propertyNames" in option:
                yield {"type": "string", **option["propertyNames"]}
        elif option.get("type") != "null":
            yield option


def test_the_document_is_valid_openapi_3_1() -> None:
    """openapi-spec-validator accepts the generated document."""
    validate(DOC)
    assert DOC["openapi"] == "3.1.0"


def test_every_request_string_is_bounded_and_refuses_nul_and_every_number_is_bounded() -> None:
    """No string a client sends is unbounded or may hold U+0000 (which Postgres cannot
    store), and no number is without a range (an unbounded one overflowed at bind time)."""
    for where, schema in request_schemas():
        for leaf in leaves(schema):
            # pydantic's own names leak when a validator hides the bounds from it.
            assert not {"ge", "gt", "le", "lt"} & set(leaf), where
            kind = leaf.get("type")
            if kind == "string" and "enum" not in leaf and "format" not in leaf:
                assert "maxLength" in leaf or leaf["pattern"].endswith("}$"), where
                assert not re.search(leaf["pattern"], "a\x00b"), where
            elif kind in ("integer", "number"):
                assert {"minimum", "exclusiveMinimum"} & set(leaf), where
                assert {"maximum", "exclusiveMaximum"} & set(leaf), where
            else:
                assert kind in ("string", "boolean"), where


# Values a lax parser would take for each documented type, and the strict contracts refuse.
WRONG = {
    "integer": ["1", 1.5, True],
    "number": ["1.5", True],
    "boolean": [1, "true"],
    "array": ["a,b", {}],
    "date": [0, "0", "86400", "20270101", "2027-01-01T00:00:00", "2027-02-30"],
    "uuid": ["12345678123456781234567812345678", "{12345678-1234-5678-1234-567812345678}", 1],
    "string": [1, True],
    "object": ["{}", 1, []],
}


def _field_errors(model: type[BaseModel], payload: dict[str, Any]) -> set[str]:
    try:
        model.model_validate_json(json.dumps(payload))
    except ValidationError as exc:
        return {str(e["loc"][0]) for e in exc.errors() if e["loc"]}
    return set()


@pytest.mark.parametrize("model", REQUESTS, ids=lambda m: m.__name__)
def test_request_contracts_take_only_the_documented_types(model: type[BaseModel]) -> None:
    """Each field refuses a value of another type (no coercion of strings, floats, numbers
    as dates, ids without hyphens), and null unless the document says it is nullable."""
    for name, prop in model.model_json_schema()["properties"].items():
        options = prop.get("anyOf", [prop])
        nullable = {"type": "null"} in options
        (typed,) = [o for o in options if o != {"type": "null"}]
        kind = typed.get("format") if typed.get("format") in ("date", "uuid") else typed.get("type")
        kind = "object" if "$ref" in typed else kind
        for value in WRONG[kind]:
            assert name in _field_errors(model, {name: value}), (model.__name__, name, value)
        assert (name in _field_errors(model, {name: None})) != nullable, (model.__name__, name)
        if kind == "integer":
            # An integer to JSON Schema, so to the contract: 3.0 is 3.
            whole = float(typed.get("minimum", typed.get("exclusiveMinimum", -1) + 1))
            assert name not in _field_errors(model, {name: whole}), (model.__name__, name)


def test_omitted_and_null_in_a_patch() -> None:
    """In a PATCH an omitted field is unchanged and null clears only what may be empty."""
    profile = route("PATCH", "/me/profile").request
    assert profile.model_validate_json('{"bio": null}').model_dump() == {"bio": None}
    assert _field_errors(profile, {"hobbies": None}) == {"hobbies"}
    listing = route("PATCH", "/listings/{id}").request
    update = listing.model_validate_json('{"listing_id": "12345678-1234-5678-1234-567812345678", "title": "Room"}')
    assert update.model_dump(exclude={"listing_id"}) == {"title": "Room"}
    for field in ("title", "description", "available_to", "amenities"):
        assert field in _field_errors(listing, {field: None})


def test_query_strings_are_decoded_by_the_documented_parameter_types() -> None:
    """?limit=3 is the integer 3, ?amenities=a,b a list; text that is not the type goes on
    as text for the contract to refuse; a parameter given twice is refused."""
    decode = query_decoder(route("GET", "/listings"))
    query = MultiDict(limit="3", radius_km="5", amenities="wifi,desk", near="39.3,-76.6", max_rent="1e3")
    assert decode(query) == {
        "limit": 3,
        "radius_km": 5,
        "amenities": ["wifi", "desk"],
        "near": "39.3,-76.6",
        "max_rent": 1000.0,
    }
    assert decode(MultiDict(limit="three", radius_km="NaN", amenities="")) == {
        "limit": "three",
        "radius_km": "NaN",
        "amenities": [],
    }
    with pytest.raises(AppError) as twice:
        decode(MultiDict([("sort", "price"), ("sort", "newest")]))
    assert twice.value.code == "validation"


def test_each_operation_lists_the_errors_it_can_give() -> None:
    """401 only where credentials are looked at, 413 only with a body (every write but the
    DELETEs, and DELETE /me, which takes the password in its body), and each route's own
    errors from the route table."""
    for r in ROUTES:
        responses = set(DOC["paths"]["/api/v1" + r.path][r.method.lower()]["responses"])
        assert {"400", "429", "503", "504"} <= responses, r.path
        assert ("401" in responses) == (r.auth != "public" or "unauthorized" in r.errors), r.path
        assert ("413" in responses) == has_body(r), r.path
    assert set(DOC["paths"]["/api/v1/auth/signup"]["post"]["responses"]) == {
        "201",
        "400",
        "409",
        "413",
        "429",
        "503",
        "504",
    }
    assert "404" not in DOC["paths"]["/api/v1/me/listings"]["get"]["responses"]


def test_refusals_about_deleted_or_suspended_people_are_documented() -> None:
    """The services answer these, and the document left them out (an API audit found each)."""
    declared = {
        ("post", "/api/v1/conversations"): "409",
        ("post", "/api/v1/conversations/{id}/messages"): "409",
        ("post", "/api/v1/users/{id}/block"): "409",
        ("post", "/api/v1/reports"): "409",
        ("post", "/api/v1/auth/login"): "403",
    }
    for (method, path), status in declared.items():
        assert status in DOC["paths"][path][method]["responses"], (method, path)
