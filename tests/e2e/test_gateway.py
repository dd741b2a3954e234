"""Gateway behaviour: JSON errors everywhere, limits, headers, OpenAPI, health."""

from __future__ import annotations

from services.gateway.routes import ROUTES
from services.runner import Stack
from tests.api import Api
from tests.eventually import eventually


async def test_unknown_route_and_wrong_method_are_json(api: Api) -> None:
    """404 and 405 come as JSON errors, with the security headers set."""
    r = await api.call("GET", "/no/such/thing")
    assert r.status == 404 and r.error_code == "not_found"
    assert r.headers["X-Content-Type-Options"] == "nosniff" and r.headers["X-Frame-Options"] == "DENY"
    assert r.headers.get("X-Request-Id")
    r = await api.call("PUT", "/hospitals")
    assert r.status == 405 and r.body["error"]["code"] == "method_not_allowed"


async def test_body_size_limit(api: Api) -> None:
    """A body over the limit is refused with 413 and a JSON error."""
    user = await api.signup()
    r = await api.call(
        "PATCH",
        "/me/profile",
        user,
        data=b'{"bio": "' + b"x" * 300_000 + b'"}',
        headers={"Content-Type": "application/json"},
    )
    assert r.status == 413 and r.body["error"]["code"] == "payload_too_large"


async def test_bad_token_is_401(api: Api) -> None:
    """A made-up or malformed token is a 401, never a 500."""
    r = await api.call("GET", "/me", headers={"Authorization": "Bearer made-up"})
    assert r.status == 401
    r = await api.call("GET", "/me", headers={"Authorization": "Basic abc"})
    assert r.status == 401


async def test_openapi_documents_every_route(api: Api) -> None:
    """The served OpenAPI document lists every route with its parameters and error responses."""
    r = await api.call("GET", "/api/openapi.json")
    assert r.status == 200 and r.body["openapi"] == "3.1.0"
    for route in ROUTES:
        op = r.body["paths"]["/api/v1" + route.path][route.method.lower()]
        assert {"400", "429", "503", "504"} <= set(op["responses"]), route.path
        assert ("401" in op["responses"]) == (route.auth != "public" or "unauthorized" in route.errors), route.path
        assert str(route.status) in op["responses"]
        names = {p["name"] for p in op["parameters"]}
        assert set(route.path_params) <= names
    search = r.body["paths"]["/api/v1/listings"]["get"]
    assert {"hospital_id", "near", "radius_km", "from", "to", "sort", "cursor"} <= {
        p["name"] for p in search["parameters"]
    }
    docs = await api.call("GET", "/api/docs")
    assert docs.status == 200 and "openapi.json" in docs.body


async def test_hospital_search_prefix_fuzzy_and_paging(api: Api) -> None:
    """Hospitals are found by prefix, by a misspelling, by state, and paged."""
    r = await api.call("GET", "/hospitals", params={"q": "massachusetts general"})
    assert r.body["items"][0]["id"] == "massachusetts-general-hospital-boston-ma"
    r = await api.call("GET", "/hospitals", params={"q": "jonhs hopkins", "state": "MD"})
    assert "the-johns-hopkins-hospital-baltimore-md" in [h["id"] for h in r.body["items"]]
    page1 = await api.call("GET", "/hospitals", params={"state": "RI", "limit": "5"})
    page2 = await api.call(
        "GET", "/hospitals", params={"state": "RI", "limit": "5", "cursor": page1.body["next_cursor"]}
    )
    ids1, ids2 = [h["id"] for h in page1.body["items"]], [h["id"] for h in page2.body["items"]]
    assert len(ids1) == 5 and ids2 and not set(ids1) & set(ids2)
    assert all(h["state"] == "RI" for h in page1.body["items"] + page2.body["items"])
    # "%" and "_" are characters, not wildcards: no hospital has them in its name or city,
    # where they listed the whole directory from "60TH MEDICAL GROUP" on.
    for wildcard in ("%", "_", "%%"):
        r = await api.call("GET", "/hospitals", params={"q": wildcard})
        assert r.status == 200 and r.body["items"] == [], (wildcard, r.body["items"][:2])


async def test_one_hospital_by_its_id(api: Api) -> None:
    """A link that carries a hospital's id alone finds its name: the directory's row, to
    anyone; an id not in the directory is a 404, one that cannot be an id a 400."""
    r = await api.call("GET", "/hospitals/the-johns-hopkins-hospital-baltimore-md")
    assert r.status == 200, r.body
    assert (r.body["id"], r.body["city"], r.body["state"]) == (
        "the-johns-hopkins-hospital-baltimore-md",
        "BALTIMORE",
        "MD",
    ), r.body
    searched = await api.call("GET", "/hospitals", params={"q": "jonhs hopkins", "state": "MD"})
    assert r.body in searched.body["items"]  # the same row as a search shows
    missing = await api.call("GET", "/hospitals/no-such-hospital-nowhere-zz")
    assert missing.status == 404 and missing.body["error"]["code"] == "not_found", missing.body
    assert (await api.call("GET", "/hospitals/Not%20An%20Id")).status == 400


async def hospital_pages(api: Api, q: str, limit: int) -> list[str]:
    """Every hospital ``q`` finds, walked page by page with ``limit``."""
    ids: list[str] = []
    params = {"q": q, "limit": str(limit)}
    while True:
        page = await api.call("GET", "/hospitals", params=params)
        assert page.status == 200 and len(page.body["items"]) <= limit, page.body
        ids += [h["id"] for h in page.body["items"]]
        if not page.body["next_cursor"]:
            return ids
        params["cursor"] = page.body["next_cursor"]


async def test_hospital_pages_show_every_hospital_once(api: Api) -> None:
    """Walked page by page, a search lists each hospital exactly once, common names first,
    whatever the page size (audit 4, D9: the common-name hospital came again and pushed
    another off for good)."""
    for q, alias_first, sizes in (
        ("Hopkins", "the-johns-hopkins-hospital-baltimore-md", (1, 3, 100)),
        ("MGH", "massachusetts-general-hospital-boston-ma", (1, 2, 100)),
        ("Mass General", "massachusetts-general-hospital-boston-ma", (7, 20, 100)),
        ("CHOP", "the-childrens-hospital-of-philadelphia-philadelphia-pa", (13, 100)),
    ):
        walks = [await hospital_pages(api, q, size) for size in sizes]
        for walk in walks:
            assert len(walk) == len(set(walk)), (q, [h for h in walk if walk.count(h) > 1])
            assert walk == walks[0], (q, len(walk), len(walks[0]))
        assert walks[0][0] == alias_first, (q, walks[0][:3])


async def test_health_reports_a_stopped_service(api: Api, stack: Stack) -> None:
    """Health is 200 when all answer, 503 naming the service that stopped."""
    assert (await api.call("GET", "/health")).status == 200
    stack.stop_process("matching")
    try:
        r = await api.call("GET", "/health")
        assert r.status == 503 and r.body["services"]["matching"] == "down"
        assert r.body["services"]["listings"] == "up"
    finally:
        stack.start("matching")
        await eventually(
            lambda: api.call("GET", "/health"), 30, what="matching to come back", until=lambda r: r.status == 200
        )
