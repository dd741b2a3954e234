"""localstripe, a Stripe-compatible server on a free port: what `make run` and the tests
start in Stripe's place (payments' SDK points at it; it sends signed webhooks)."""

from __future__ import annotations

import json
import os
import pickle
import secrets
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from shared import runtime
from shared.embedded import free_port


@dataclass
class LocalStripe:
    """A localstripe server (a stateful fake of Stripe's HTTP API that also serves a fake
    Stripe.js and sends signed webhooks) on a free port, with Wardmate's webhook registered."""

    proc: subprocess.Popen[bytes]
    url: str
    webhook_secret: str
    log: Path | None = None  # its server log, which says of each webhook whether it was delivered

    @classmethod
    def start(cls, folder: Path, webhook_url: str, timeout: float = 30) -> LocalStripe:
        folder.mkdir(parents=True, exist_ok=True)
        port = free_port()
        log = open(folder / "server.log", "ab")
        # Its objects are kept in ``folder`` (see keep_state_in): a new folder starts empty,
        # and make run's keeps what the last run left (payments begun before a restart).
        proc = subprocess.Popen(
            [sys.executable, "-m", "shared.localstripe", "--port", str(port)],
            cwd=folder,
            env={**os.environ, **runtime.parent_env()},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        server = cls(proc, f"http://127.0.0.1:{port}", "whsec_" + secrets.token_hex(16), folder / "server.log")
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"localstripe exited ({proc.returncode}); see {folder}/server.log")
            try:
                server.register_webhook(webhook_url)
                return server
            except OSError:
                if time.monotonic() > deadline:
                    server.stop()
                    raise RuntimeError(f"localstripe did not answer in {timeout}s; see {folder}/server.log") from None
                time.sleep(0.1)

    def register_webhook(self, url: str) -> None:
        body = json.dumps({"url": url, "secret": self.webhook_secret}).encode()
        request = urllib.request.Request(
            f"{self.url}/_config/webhooks/wardmate", data=body, headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=2):
            pass

    def env(self) -> dict[str, str]:
        """What points the services and the web client at this server."""
        return {
            "WARDMATE_STRIPE_API_BASE": self.url,
            "WARDMATE_STRIPE_WEBHOOK_SECRET": self.webhook_secret,
            "WARDMATE_STRIPE_JS_URL": f"{self.url}/js.stripe.com/v3/",
        }

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def retry_after_a_failed_charge() -> None:
    """localstripe as Stripe behaves when a guest tries another card.

    After a declined charge, Stripe's PaymentIntent goes back to
    ``requires_payment_method``, and attaching a new payment method makes it
    ``requires_confirmation`` again. localstripe derives the status from the failed
    charge it keeps, so the intent stayed ``requires_payment_method`` and every later
    confirmation was refused ("Bad request"): under `make run` a guest whose first card
    was declined could never pay. A new payment method now forgets the failed charge,
    which is what the status depends on.

    The same after a 3-D Secure challenge the guest left unfinished: Stripe's intent waits
    in ``requires_action``, and a new payment method replaces the pending authentication
    (the intent asks for confirmation again). localstripe kept the challenge (its
    ``next_action``), so the next card's confirmation was refused too and Wardmate told the
    guest that card was "not a payment method Stripe.js made for this payment".
    """
    from localstripe.resources import PaymentIntent

    update = PaymentIntent._update

    def _update(self: PaymentIntent, **data: object) -> None:
        update(self, **data)
        if "payment_method" not in data:
            return
        charge = self.latest_charge
        if charge is not None and charge.status == "failed":
            self.latest_charge = None
        if self.next_action and self.latest_charge is None:
            self.next_action = None
            self._authentication_failed = False

    PaymentIntent._update = _update


STATE_FILE = "localstripe.pickle"


def keep_state_in(folder: Path) -> None:
    """localstripe's objects kept in ``folder``, across restarts.

    localstripe holds its objects in memory and pickles all of them after each change to
    ``/tmp/localstripe.pickle``, which every localstripe on the machine shares (so they
    had to start ``--from-scratch``, and a restarted `make run` had forgotten every
    payment begun before: paying one failed with "Stripe refused this payment method").
    Here the file is the data folder's, replaced whole (a temporary file, then a rename),
    so a kill in the middle of a write leaves the previous state, never half of one.
    """
    from localstripe import resources

    path = folder / STATE_FILE

    def load(store: resources.Store) -> None:
        try:
            with open(path, "rb") as f:
                kept = pickle.load(f)
        except FileNotFoundError:
            return
        except Exception as exc:  # another localstripe version's objects: start empty, keep the file
            aside = path.with_suffix(".unreadable")
            os.replace(path, aside)
            print(f"localstripe: could not read {path} ({exc!r}); moved it to {aside}, starting empty", flush=True)
            return
        store.clear()
        store.update(kept)

    def dump(store: resources.Store) -> None:
        partial = path.with_suffix(".partial")
        with open(partial, "wb") as f:
            pickle.dump(store, f, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(partial, path)

    resources.Store.try_load_from_disk = load
    resources.Store.dump_to_disk = dump


if __name__ == "__main__":
    # python -m shared.localstripe --port N: localstripe's own command line, run in the
    # folder that keeps its objects.
    runtime.leave_with_parent()
    keep_state_in(Path.cwd())
    retry_after_a_failed_charge()
    from localstripe.server import start

    start()
