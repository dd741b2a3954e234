"""Run the accounts service: ``python -m services.accounts``."""

from services.accounts.app import app
from shared.cli import main

if __name__ == "__main__":
    main(app)
