"""Run the gateway: ``python -m services.gateway``."""

from aiohttp import web

from services.gateway import malformed
from services.gateway.app import create_app
from shared import runtime
from shared.logs import setup_logging
from shared.settings import load_settings


def main() -> None:
    settings = load_settings()
    setup_logging("gateway", settings.log_level)
    runtime.tune_collector()
    runtime.leave_with_parent()
    malformed.install()
    web.run_app(
        create_app(settings),
        host=settings.http_host,
        port=settings.http_port,
        print=None,
        access_log=None,
        loop=runtime.new_event_loop(),
    )


if __name__ == "__main__":
    main()
