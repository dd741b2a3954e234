"""The OpenAPI 3 document, generated from the route table and the pydantic contracts."""

from __future__ import annotations

from typing import Any, get_args

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from services.gateway.routes import Route
from shared.errors import ErrorCode

ERRORS = {
    "400": "Invalid input (validation)",
    "401": "Not authenticated",
    "403": "Authenticated but not allowed (wrong party)",
    "404": "Not found, or not visible to you",
    "409": "Conflicts with the current state",
    "429": "Too many attempts",
    "503": "A service is unavailable",
    "504": "A service did not answer in time",
}

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


def _ref(model: type[BaseModel]) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{model.__name__}"}


def build_openapi(routes: list[Route], prefix: str) -> dict[str, Any]:
    models: set[type[BaseModel]] = set()
    for r in routes:
        models.add(r.reply)
        if r.method not in ("GET", "DELETE"):
            models.add(r.request)
    _, defs = models_json_schema(
        [
            (m, "validation" if m in {r.request for r in routes} else "serialization")
            for m in sorted(models, key=lambda m: m.__name__)
        ],
        ref_template="#/components/schemas/{model}",
    )
    schemas: dict[str, Any] = dict(defs.get("$defs", {}))
    schemas["Error"] = ERROR_SCHEMA
    paths: dict[str, Any] = {}
    for r in routes:
        hidden = set(r.internal_fields) | set(r.path_params.values())
        op: dict[str, Any] = {
            "summary": r.summary,
            "tags": [r.tag],
            "operationId": r.subject.rsplit(".", 1)[-1].replace("-", "_"),
            "parameters": [
                {"name": seg, "in": "path", "required": True, "schema": {"type": "string"}} for seg in r.path_params
            ],
            "responses": {
                str(r.status): {"description": "OK", "content": {"application/json": {"schema": _ref(r.reply)}}},
                **{
                    code: {
                        "description": text,
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
                    }
                    for code, text in ERRORS.items()
                },
            },
        }
        if r.auth == "user":
            op["security"] = [{"bearer": []}, {"cookie": []}]
        elif r.auth == "optional":
            op["security"] = [{}, {"bearer": []}, {"cookie": []}]
        request_schema = r.request.model_json_schema(ref_template="#/components/schemas/{model}")
        props = {k: v for k, v in request_schema.get("properties", {}).items() if k not in hidden}
        required = [k for k in request_schema.get("required", []) if k not in hidden]
        for name, sub in request_schema.get("$defs", {}).items():
            schemas.setdefault(name, sub)
        if r.method in ("GET", "DELETE"):
            for name, prop in props.items():
                op["parameters"].append({"name": name, "in": "query", "required": name in required, "schema": prop})
        elif props:
            body = {"type": "object", "properties": props, "additionalProperties": False}
            if required:
                body["required"] = required
            op["requestBody"] = {"required": bool(required), "content": {"application/json": {"schema": body}}}
        path = prefix + r.path
        paths.setdefault(path, {})[r.method.lower()] = op
    paths[f"{prefix}/health"] = {
        "get": {
            "summary": "Reachability of every service",
            "tags": ["operators"],
            "responses": {"200": {"description": "all up"}, "503": {"description": "a service is down"}},
        }
    }
    paths[f"{prefix}/metrics"] = {
        "get": {
            "summary": "Request counters (Prometheus text)",
            "tags": ["operators"],
            "responses": {"200": {"description": "counters"}},
        }
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Wardmate API",
            "version": "1.0.0",
            "description": "Rooms near hospitals and mentors for medical students on rotations.",
        },
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
