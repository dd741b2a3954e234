"""Run the listings service: ``python -m services.listings``."""

from services.listings import consumers, handlers  # noqa: F401  (register endpoints and consumers)
from services.listings.app import app
from services.listings.hospitals import ensure_directory
from shared.service import Context, main


@app.on_startup
async def load_directory(ctx: Context) -> None:
    await ensure_directory(ctx.pool)


if __name__ == "__main__":
    main(app)
