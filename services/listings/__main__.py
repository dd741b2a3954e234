"""Run the listings service: ``python -m services.listings``."""

from services.listings.app import app
from shared.cli import main

if __name__ == "__main__":
    main(app)
