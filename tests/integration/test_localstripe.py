"""localstripe as make run starts it: its objects outlive a restart on the same data
folder (a payment begun before `make run` restarted can still be paid), and a new folder
starts empty."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

from shared.localstripe import LocalStripe

KEY = "sk_test_localstripe"


def call(server: LocalStripe, method: str, path: str, form: dict[str, str] | None = None) -> tuple[int, Any]:
    data = urllib.parse.urlencode(form).encode() if form is not None else None
    request = urllib.request.Request(
        f"{server.url}{path}", data=data, method=method, headers={"Authorization": f"Bearer {KEY}"}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def start(folder: Path) -> LocalStripe:
    return LocalStripe.start(folder, "http://127.0.0.1:9/unused")


def create_intent(server: LocalStripe, amount: int) -> dict[str, Any]:
    status, intent = call(
        server, "POST", "/v1/payment_intents", {"amount": str(amount), "currency": "usd", "capture_method": "manual"}
    )
    assert status == 200, intent
    return dict(intent)


def test_payment_intents_outlive_restarts_on_their_folder(tmp_path: Path) -> None:
    """Each restart finds what every earlier run made; another folder finds nothing."""
    folder = tmp_path / "localstripe"
    made: list[dict[str, Any]] = []
    for amount in (123400, 56700, 8900):
        server = start(folder)
        try:
            for intent in made:
                status, kept = call(server, "GET", f"/v1/payment_intents/{intent['id']}")
                assert status == 200, kept
                assert (kept["amount"], kept["status"]) == (intent["amount"], intent["status"])
            made.append(create_intent(server, amount))
        finally:
            server.stop()

    elsewhere = start(tmp_path / "another")
    try:
        status, body = call(elsewhere, "GET", f"/v1/payment_intents/{made[0]['id']}")
    finally:
        elsewhere.stop()
    assert status == 404, body


def test_an_unreadable_state_file_is_moved_aside_and_localstripe_starts_empty(tmp_path: Path) -> None:
    """A file another localstripe version wrote (or any it cannot read) does not keep
    make run from starting: it is kept beside, and the server starts with no objects."""
    folder = tmp_path / "localstripe"
    folder.mkdir()
    (folder / "localstripe.pickle").write_bytes(b"not a pickle")
    server = start(folder)
    try:
        made = create_intent(server, 4200)
        status, kept = call(server, "GET", f"/v1/payment_intents/{made['id']}")
        assert status == 200, kept
    finally:
        server.stop()
    assert (folder / "localstripe.unreadable").read_bytes() == b"not a pickle"
    assert "could not read" in (folder / "server.log").read_text()
