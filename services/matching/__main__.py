"""Run the matching service: ``python -m services.matching``.

A skeleton for now: it registers with NATS (so ``$SRV.PING`` and the gateway's health
check see it), owns its schema and runs the outbox relay; its endpoints come in their
own issue.
"""

from shared.service import ServiceApp, main

app = ServiceApp("matching", migrations="services.matching.migrations")

if __name__ == "__main__":
    main(app)
