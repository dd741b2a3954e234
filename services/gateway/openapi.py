"""The OpenAPI 3.1 document, generated from the route table and the pydantic contracts.

Every constraint a service checks on its own is in its request contract, so it appears
here: formats (uuid, date), ranges, lengths, patterns, enums, which fields take ``null``
and which may only be omitted. The gateway decodes query strings by the same parameter
schemas (``query_parameters``), so what the document says a parameter is, is what the
service receives.
"""

from __future__ import annotations

from typing import Any, get_args

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from services.gateway.auth import SAFE_METHODS
from services.gateway.routes import Route
from shared.errors import HTTP_STATUS, ErrorCode

ERROR_TEXT: dict[ErrorCode, str] = {
    "validation": "Invalid input: the details name the fields",
    "unauthorized": "Not authenticated, or the token is invalid or expired",
    "forbidden": "Not allowed: the wrong role or party, or a cookie session's write without the CSRF header",
    "not_found": "Not found, or not visible to you",
    "conflict": "Conflicts with the current state",
    "rate_limited": "Too many requests or attempts; retry later",
    "payload_too_large": "The request body is too large",
    "unavailable": "A service is unavailable",
    "timeout": "A service did not answer in time",
}
# Any route can answer these: bad input, the per-address rate limit, a service down or slow.
COMMON_ERRORS: tuple[ErrorCode, ...] = ("validation", "rate_limited", "unavailable", "timeout")

ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {
                "code": {"type": "string", "enum": list(get_args(ErrorCode))},
                "message": {"type": "string"},
                "details": {},
            },
        }
    },
}

LIVE_SCHEMA = {"type": "object", "required": ["status"], "properties": {"status": {"const": "alive"}}}
HEALTH_SCHEMA = {
    "type": "object",
    "required": ["status", "nats", "services"],
    "properties": {
        "status": {
            "type": "string",
            "enum": ["ok", "degraded", "starting"],
            "description": "ok: ready to serve; starting: every service answers but the system is still"
            " being prepared (make run's demo data); degraded: a service or NATS is down",
        },
        "nats": {"type": "boolean"},
        "services": {"type": "object", "additionalProperties": {"type": "string", "enum": ["up", "down"]}},
        "cluster": {
            "type": ["object", "null"],
            "description": "The NATS servers holding the events stream (null on a single NATS server);"
            " state no_leader: the stream has no leader or did not answer within 0.5 s (an election is"
            " under way, or most servers are down): requests go on, events wait until a leader is elected",
            "required": ["name", "stream", "connected_to", "nodes"],
            "properties": {
                "name": {"type": ["string", "null"]},
                "stream": {"type": "string"},
                "connected_to": {"type": ["string", "null"]},
                "state": {"type": "string", "enum": ["ok", "no_leader"]},
                "nodes": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["name", "role", "current", "lag"],
                        "properties": {
                            "name": {"type": "string"},
                            "role": {"type": "string", "enum": ["leader", "replica"]},
                            "current": {"type": "boolean"},
                            "lag": {"type": "integer"},
                        },
                    },
                },
            },
        },
    },
}

API_DESCRIPTION = """Rooms near hospitals and mentors for medical students on rotations.

What a client can rely on: a request is accepted only as this document types it (integers
are integers, dates are `YYYY-MM-DD`, ids are hyphenated UUIDs, no `NaN`, no U+0000 in a
string), within the ranges, lengths and patterns given here; query parameters are these
same types written as text, lists comma-separated. In a PATCH an omitted field is left
unchanged; `null` is accepted only where a field's schema allows it and then clears the
value. Every operation lists the error statuses it can answer, each with the JSON body
`{"error": {"code", "message", "details"}}`; a 500 is a bug."""


def _without_titles(schema: Any) -> Any:
    """Drop pydantic's generated ``title`` keywords (noise for readers and generators)."""
    if isinstance(schema, dict):
        return {k: _without_titles(v) for k, v in schema.items() if not (k == "title" and isinstance(v, str))}
    if isinstance(schema, list):
        return [_without_titles(v) for v in schema]
    return schema


def _not_null(schema: dict[str, Any]) -> dict[str, Any]:
    """A query or path parameter's schema: a query string cannot carry ``null``."""
    options = schema.get("anyOf")
    if options and {"type": "null"} in options:
        rest = [o for o in options if o != {"type": "null"}]
        outer = {k: v for k, v in schema.items() if k != "anyOf" and not (k == "default" and v is None)}
        return {**rest[0], **outer} if len(rest) == 1 else {**outer, "anyOf": rest}
    return schema


def request_schema(route: Route) -> dict[str, Any]:
    """The request contract's JSON schema (validation mode), ``$defs`` pointing into components."""
    schema: dict[str, Any] = route.request.model_json_schema(ref_template="#/components/schemas/{model}")
    return schema


def hidden_fields(route: Route) -> set[str]:
    """Request fields a client does not send: the gateway fills them from the connection,
    the credentials or the path."""
    return set(route.internal_fields) | set(route.path_params.values())


def has_body(route: Route) -> bool:
    if route.body is not None:
        return route.body
    return route.method not in ("GET", "DELETE")


def query_parameters(route: Route) -> list[dict[str, Any]]:
    """The documented query parameters of a GET or DELETE route (also how the gateway
    decodes them): lists are comma-separated, ``style: form, explode: false``."""
    if has_body(route):
        return []
    schema = request_schema(route)
    required = set(schema.get("required", []))
    params = []
    for name, prop in schema.get("properties", {}).items():
        if name in hidden_fields(route):
            continue
        param_schema = _without_titles(_not_null(prop))
        param: dict[str, Any] = {"name": name, "in": "query", "required": name in required, "schema": param_schema}
        if "description" in param_schema:
            param["description"] = param_schema.pop("description")
        if param_schema.get("type") == "array":
            param.update(style="form", explode=False)
        params.append(param)
    return params


def path_parameters(route: Route) -> list[dict[str, Any]]:
    properties = request_schema(route).get("properties", {})
    return [
        {"name": segment, "in": "path", "required": True, "schema": _without_titles(_not_null(properties[field]))}
        for segment, field in route.path_params.items()
    ]


def request_body(route: Route) -> dict[str, Any] | None:
    if not has_body(route):
        return None
    schema = request_schema(route)
    hidden = hidden_fields(route)
    props = {k: v for k, v in schema.get("properties", {}).items() if k not in hidden}
    if not props:
        return None
    body = {k: v for k, v in schema.items() if k not in ("properties", "required", "$defs", "title")}
    body["properties"] = props
    required = [k for k in schema.get("required", []) if k not in hidden]
    if required:
        body["required"] = required
    return {"required": bool(required), "content": {"application/json": {"schema": _without_titles(body)}}}


def error_codes(route: Route) -> list[ErrorCode]:
    """Every error the operation can answer with, in status order."""
    codes = set(COMMON_ERRORS) | set(route.errors)
    if route.auth != "public":
        codes.add("unauthorized")
        if route.method not in SAFE_METHODS:
            codes.add("forbidden")  # a cookie session's write without the CSRF header
    if has_body(route):
        codes.add("payload_too_large")
    return sorted(codes, key=lambda code: HTTP_STATUS[code])


def _ref(model: type[BaseModel]) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{model.__name__}"}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def operation(route: Route, defs: dict[str, Any]) -> dict[str, Any]:
    schema = request_schema(route)
    for name, sub in schema.get("$defs", {}).items():
        defs.setdefault(name, _without_titles(sub))
    op: dict[str, Any] = {
        "summary": route.summary,
        "tags": [route.tag],
        "operationId": route.subject.rsplit(".", 1)[-1].replace("-", "_"),
        "parameters": path_parameters(route) + query_parameters(route),
        "responses": {
            str(route.status): _json(_ref(route.reply), "OK"),
            **{
                str(HTTP_STATUS[code]): _json({"$ref": "#/components/schemas/Error"}, ERROR_TEXT[code])
                for code in error_codes(route)
            },
        },
    }
    if schema.get("description") and schema.get("properties"):
        op["description"] = schema["description"]  # the contract's docstring: rules across fields
    body = request_body(route)
    if body is not None:
        op["requestBody"] = body
    if route.auth == "user":
        op["security"] = [{"bearer": []}, {"cookie": []}]
    elif route.auth == "optional":
        op["security"] = [{}, {"bearer": []}, {"cookie": []}]
    return op


def build_openapi(routes: list[Route], prefix: str) -> dict[str, Any]:
    replies = sorted({r.reply for r in routes}, key=lambda m: m.__name__)
    _, reply_defs = models_json_schema(
        [(m, "serialization") for m in replies], ref_template="#/components/schemas/{model}"
    )
    schemas: dict[str, Any] = _without_titles(dict(reply_defs.get("$defs", {})))
    schemas["Error"] = ERROR_SCHEMA
    paths: dict[str, Any] = {}
    for route in routes:
        paths.setdefault(prefix + route.path, {})[route.method.lower()] = operation(route, schemas)
    paths[f"{prefix}/health"] = {
        "get": {
            "summary": "Reachability of every service",
            "tags": ["operators"],
            "operationId": "health",
            "responses": {
                "200": _json(HEALTH_SCHEMA, "ready: every service answers"),
                "503": _json(HEALTH_SCHEMA, "not ready: a service is down, or the system is starting"),
            },
        }
    }
    paths[f"{prefix}/health/live"] = {
        "get": {
            "summary": "Liveness of this gateway process alone (no dependency is asked)",
            "tags": ["operators"],
            "operationId": "liveness",
            "responses": {"200": _json(LIVE_SCHEMA, "this process serves HTTP")},
        }
    }
    paths[f"{prefix}/metrics"] = {
        "get": {
            "summary": "This gateway replica's Prometheus metrics (text exposition format; admins)",
            "tags": ["operators"],
            "operationId": "metrics",
            "security": [{"bearer": []}, {"cookie": []}],
            "responses": {
                "200": {"description": "counters", "content": {"text/plain": {"schema": {"type": "string"}}}},
                **{
                    str(HTTP_STATUS[code]): _json({"$ref": "#/components/schemas/Error"}, ERROR_TEXT[code])
                    for code in ("unauthorized", "forbidden")
                },
            },
        }
    }
    return {
        "openapi": "3.1.0",
        "info": {"title": "Wardmate API", "version": "1.0.0", "description": API_DESCRIPTION},
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "cookie": {"type": "apiKey", "in": "cookie", "name": "wardmate_session"},
            },
        },
    }


DOCS_HTML = """<!doctype html>
<html><head><meta charset="utf-8"><title>Wardmate API</title>
<style>body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}
code{background:#f3f3f3;padding:0 .2rem}.op{border-top:1px solid #ddd;padding:.5rem 0}
.m{display:inline-block;width:4.5rem;font-weight:bold}</style></head>
<body><h1>Wardmate API</h1>
<p>The machine-readable document is <a href="/api/openapi.json">/api/openapi.json</a>
(OpenAPI 3.1): load it in any OpenAPI viewer or client generator.</p>
<div id="ops">Loading…</div>
<script>
fetch('/api/openapi.json').then(r => r.json()).then(doc => {
  const out = [];
  for (const [path, ops] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      const params = (op.parameters || []).map(p => p.name + (p.in === 'path' ? ' (path)' : '')).join(', ');
      out.push('<div class="op"><span class="m">' + method.toUpperCase() + '</span><code>' + path +
        '</code> ' + (op.summary || '') + (params ? '<br><small>parameters: ' + params + '</small>' : '') + '</div>');
    }
  }
  document.getElementById('ops').innerHTML = out.join('');
});
</script></body></html>
"""
