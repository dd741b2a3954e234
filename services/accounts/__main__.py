"""Run the accounts service: ``python -m services.accounts``."""

from shared.service import main

from services.accounts.handlers import app

if __name__ == "__main__":
    main(app)
