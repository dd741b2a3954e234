"""Run the messaging service: ``python -m services.messaging``."""

from services.messaging.app import app
from shared.cli import main

if __name__ == "__main__":
    main(app)
