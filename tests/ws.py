"""WebSocket helpers for the live-delivery tests: read frames, wait for a close."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp
from aiohttp import WSMsgType


async def next_frame(ws: aiohttp.ClientWebSocketResponse, timeout: float = 5) -> dict[str, Any]:
    """The next frame as JSON; fails on a close or after ``timeout``."""
    msg = await ws.receive(timeout=timeout)
    assert msg.type is WSMsgType.TEXT, (msg.type, msg.data, msg.extra)
    frame: dict[str, Any] = json.loads(msg.data)
    return frame


async def until_ready(ws: aiohttp.ClientWebSocketResponse, timeout: float = 5) -> tuple[list[dict[str, Any]], dict]:
    """The frames before ``ready`` (a catch-up, a resync), and ``ready`` itself."""
    before: list[dict[str, Any]] = []
    while True:
        frame = await next_frame(ws, timeout)
        if frame["type"] == "ready":
            return before, frame
        before.append(frame)


async def closed_with(ws: aiohttp.ClientWebSocketResponse, timeout: float = 5) -> tuple[int | None, str]:
    """Read until the server closes; its close code and reason (frames before are skipped)."""
    async with asyncio.timeout(timeout):
        while True:
            msg = await ws.receive()
            if msg.type is WSMsgType.CLOSE:
                return msg.data, msg.extra or ""
            if msg.type in (WSMsgType.CLOSED, WSMsgType.CLOSING, WSMsgType.ERROR):
                return ws.close_code, ""


async def nothing_more(ws: aiohttp.ClientWebSocketResponse, wait: float = 0.3) -> None:
    """No frame arrives within ``wait`` seconds (after an expected one was read)."""
    try:
        msg = await ws.receive(timeout=wait)
    except TimeoutError:
        return
    raise AssertionError(f"unexpected {msg.type}: {msg.data!r}")
