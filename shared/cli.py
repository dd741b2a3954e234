"""The command line of a service process: ``python -m services.<name> [command args...]``.

Without a command the process serves until SIGTERM. Every service has ``dead-letters``
(``shared.deadletters``); a service adds its own commands (matching's ``rebuild``).
"""

from __future__ import annotations

import faulthandler
import signal
import sys
from collections.abc import Callable, Mapping, Sequence

from shared import deadletters, runtime
from shared.logs import setup_logging
from shared.service import ServiceApp
from shared.settings import Settings, load_settings

# A command gets the settings and its arguments, and returns the exit status.
Command = Callable[[Settings, Sequence[str]], int]


def main(app: ServiceApp, commands: Mapping[str, Command] | None = None) -> None:
    """Serve ``app``, or run the command named by the first argument."""
    # `kill -USR1 <pid>` prints every thread's stack: a hung replica explains itself.
    faulthandler.register(signal.SIGUSR1)
    runtime.tune_collector()
    known: dict[str, Command] = {
        "dead-letters": lambda settings, argv: deadletters.run_cli(app, settings, argv),
        **(commands or {}),
    }
    settings = load_settings()
    if len(sys.argv) > 1:
        command = known.get(sys.argv[1])
        if command is None:
            print(
                f"unknown command {sys.argv[1]!r}: python -m services.{app.name} [{' | '.join(sorted(known))}]",
                file=sys.stderr,
            )
            sys.exit(2)
        # An operator's command prints its own report; only real trouble goes to the log.
        setup_logging(app.name, "ERROR")
        sys.exit(command(settings, sys.argv[2:]))
    setup_logging(app.name, settings.log_level)
    runtime.run(app.run(settings))
