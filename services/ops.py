"""``python -m services.ops``: the operator commands behind ``make status``, ``make stop``,
``make start``'s wait, ``make dead-letters`` and ``make rebuild-matching``.

Each acts on the system that runs on the data folder (``make run``'s or
``make run-cluster``'s, found through ``run.json``) and explains itself in one line when
it cannot: no system running, an unknown service.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from services import runstate
from services.runner import SERVICES_WITH_SCHEMA
from shared.settings import load_settings


def health(url: str) -> tuple[int, dict[str, Any]]:
    """The gateway's readiness answer (status code, body); (0, {}) when it does not answer."""
    try:
        with urllib.request.urlopen(f"{url}/api/v1/health", timeout=3) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as exc:
        try:
            return exc.code, json.loads(exc.read() or b"{}")
        except ValueError:
            return exc.code, {}
    except (OSError, ValueError):
        return 0, {}


def status(data_dir: Path) -> int:
    """What runs, where, and whether it is ready: 0 when ready, 1 otherwise."""
    running = runstate.find(data_dir)
    if running is None:
        print(f"Wardmate is not running on {data_dir} (start it with make run, make start or make run-cluster)")
        return 1
    state = running.state
    print(f"Wardmate ({running.mode}) runs with pid {state['pid']}, data in {running.data_dir}")
    print(f"  phase: {state.get('phase', '?')}")
    for name, server in state.get("servers", {}).items():
        mark = "up" if runstate.alive(server["pid"]) else "DOWN"
        print(f"  {name:<18} pid {server['pid']:<7} {server['address']:<22} {mark}  log {server['log']}")
    for key, proc in state.get("processes", {}).items():
        mark = "up" if runstate.alive(proc["pid"]) else "DOWN (restarting?)"
        print(f"  {key:<18} pid {proc['pid']:<7} metrics {proc['metrics']:<14} {mark}  log {proc['log']}")
    ready = True
    for url in state.get("gateways", []):
        code, body = health(url)
        word = body.get("status", "no answer") if body else "no answer"
        down = [name for name, v in body.get("services", {}).items() if v != "up"]
        print(f"  {url}/api/v1/health: {code or '-'} {word}" + (f" (down: {', '.join(down)})" if down else ""))
        ready = ready and code == 200
    return 0 if ready else 1


def stop(data_dir: Path, timeout: float = 90) -> int:
    running = runstate.find(data_dir)
    if running is None:
        print(f"Wardmate is not running on {data_dir}: nothing to stop")
        return 0
    pid = int(running.state["pid"])
    print(f"==> stopping Wardmate (pid {pid})", flush=True)
    os.kill(pid, signal.SIGTERM)
    if not runstate.wait_gone(pid, timeout, every_s=0.2):
        print(f"error: pid {pid} did not stop in {timeout:g} s; see {running.data_dir / 'logs'}", file=sys.stderr)
        return 1
    print("stopped.")
    return 0


def wait_ready(data_dir: Path, pid: int, output: Path, timeout: float = 300) -> int:
    """``make start``: wait until the background run ``pid`` is ready, or report its end."""
    deadline = time.monotonic() + timeout
    while True:
        running = runstate.find(data_dir)
        if running is not None and running.state.get("phase") == "ready":
            print(f"Wardmate is running at {running.state['gateways'][0]}/ (pid {pid}); make status, make stop")
            return 0
        if not runstate.alive(pid):
            tail = output.read_text(errors="replace").splitlines()[-15:] if output.exists() else []
            print("\n".join(tail), file=sys.stderr)
            print(f"error: Wardmate did not start; its output is in {output}", file=sys.stderr)
            return 1
        if time.monotonic() > deadline:
            print(f"error: Wardmate was not ready in {timeout:g} s; see {output}", file=sys.stderr)
            return 1
        time.sleep(0.5)


def service_command(data_dir: Path, service: str, argv: list[str]) -> int:
    """Run ``python -m services.<service> <argv>`` against the running system (exec)."""
    if service not in SERVICES_WITH_SCHEMA:
        print(
            f"error: {'SERVICE is not set' if not service else f'{service!r} has no event consumers'}:"
            ' usage: make dead-letters SERVICE=listings ARGS=list (or ARGS="replay --id ID", ARGS="replay --all");'
            f" SERVICE is one of {', '.join(SERVICES_WITH_SCHEMA)}",
            file=sys.stderr,
        )
        return 2
    try:
        running = runstate.require(data_dir)
    except runstate.NotRunningError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    env = {**os.environ, **running.service_env(service), "WARDMATE_DATA_DIR": str(running.data_dir)}
    sys.stdout.flush()
    os.execvpe(sys.executable, [sys.executable, "-m", f"services.{service}", *argv], env)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m services.ops", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("status", help="what runs, where, and whether it is ready")
    commands.add_parser("stop", help="stop the running system (SIGTERM) and wait")
    wait = commands.add_parser("wait", help="wait until a background run is ready")
    wait.add_argument("pid", type=int)
    wait.add_argument("output", type=Path)
    letters = commands.add_parser("dead-letters", help="a service's dead letters (list, replay)")
    letters.add_argument("service", nargs="?", default="")
    letters.add_argument("args", nargs=argparse.REMAINDER)
    commands.add_parser("rebuild-matching", help="replay the stream into fresh matching projections")
    args = parser.parse_args(argv)
    data_dir = load_settings().data_dir.resolve()
    if args.command == "status":
        return status(data_dir)
    if args.command == "stop":
        return stop(data_dir)
    if args.command == "wait":
        return wait_ready(data_dir, args.pid, args.output)
    if args.command == "dead-letters":
        return service_command(data_dir, args.service, ["dead-letters", *(args.args or ["list"])])
    return service_command(data_dir, "matching", ["rebuild"])


if __name__ == "__main__":
    sys.exit(main())
