"""Photo uploads through the running system, and what they cost the listing search.

``make bench-uploads`` (or ``python bench/uploads.py``):

1. starts a fresh system (fsync off, services at WARNING, no per-address rate limit, no
   upload rate limit) and seeds ``--listings`` synthetic listings as ``bench/search.py`` does;
2. renders a 12-megapixel JPEG (4000 x 3000, a photo-like picture: gradients, shapes and
   sensor noise, ~4-6 MB) and uploads it ``--photos`` times one at a time: the time from
   the request to the reply, by which the three WebP variants (320, 1024, 2048) are stored
   and recorded (each photo is deleted again, untimed: the same image again on the
   listing would be answered with the photo it has, storing nothing);
3. measures the search through the gateway (``GET /api/v1/listings`` near Johns Hopkins,
   ``--conns`` concurrent clients, ``--seconds`` each) alone, then while one client uploads
   the 12-MP JPEG in a loop, in alternating rounds (``--rounds``), so both see the same
   machine;
4. prints ``RESULT {json}``: per-photo p50/max, search p99 without and during uploads, and
   their ratio (target: under 1.5 s a photo on 2 cores, search p99 at most 20 % worse).
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import random
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import aiohttp
from PIL import Image, ImageDraw, ImageFilter

sys.path.insert(0, str(Path(__file__).parent))
import search

from bench.lib.common import signup
from services.runner import Stack
from shared.mailsink import Mailbox

JHH = (39.296109, -76.591972)


def twelve_megapixels(seed: int = 3) -> bytes:
    """A 4000 x 3000 JPEG that decodes like a photo (not a flat colour JPEG compresses away)."""
    rng = random.Random(seed)
    small = Image.new("RGB", (400, 300))
    draw = ImageDraw.Draw(small)
    for y in range(300):
        draw.line((0, y, 400, y), fill=(120 + y // 4, 100 + y // 5, 90 + y // 3))
    for _ in range(40):
        x, y = rng.randrange(400), rng.randrange(300)
        draw.rectangle(
            (x, y, x + rng.randrange(10, 90), y + rng.randrange(10, 70)), fill=tuple(rng.choices(range(256), k=3))
        )
    image = small.resize((4000, 3000), Image.Resampling.BICUBIC).filter(ImageFilter.GaussianBlur(2))
    noise = Image.effect_noise((4000, 3000), 24).convert("RGB")
    image = Image.blend(image, noise, 0.12)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90)
    return out.getvalue()


def quantile(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 else values[0]


async def host_with_listing(base: str, mailbox: Mailbox) -> tuple[str, str]:
    """A host whose address is confirmed (posting a room needs it) and their room."""
    async with aiohttp.ClientSession() as http:
        host = await signup(http, base, "bench-host", "professional", mailbox)
        token = host["token"]
        today = date.today()
        listing = {
            "title": "Bench room near Johns Hopkins",
            "room_type": "private_room",
            "address": "1 Bench Street, Baltimore, MD",
            "latitude": JHH[0] + 0.01,
            "longitude": JHH[1],
            "monthly_rent": 1000,
            "available_from": str(today),
            "available_to": str(today + timedelta(days=300)),
        }
        async with http.post(
            f"{base}/api/v1/listings", json=listing, headers={"Authorization": f"Bearer {token}"}
        ) as r:
            return token, (await r.json())["id"]


async def upload_once(http: aiohttp.ClientSession, base: str, token: str, listing_id: str, data: bytes) -> float:
    form = aiohttp.FormData()
    form.add_field("alt_text", "A 12-megapixel photo of the bench room")
    form.add_field("file", data, filename="photo.jpg", content_type="image/jpeg")
    started = time.perf_counter()
    async with http.post(
        f"{base}/api/v1/listings/{listing_id}/photos", data=form, headers={"Authorization": f"Bearer {token}"}
    ) as r:
        body = await r.json()
        if r.status != 201 or set(body["urls"]) != {"320", "1024", "2048"}:
            raise RuntimeError(f"upload answered {r.status}: {body}")
    took = time.perf_counter() - started
    # Deleted again (untimed): the same image on the same listing would be answered with
    # the photo it has, so the next upload would store and record nothing.
    async with http.delete(
        f"{base}/api/v1/listings/{listing_id}/photos/{body['id']}", headers={"Authorization": f"Bearer {token}"}
    ) as r:
        if r.status != 200:
            raise RuntimeError(f"deleting the photo answered {r.status}: {await r.text()}")
    return took


async def search_load(base: str, conns: int, seconds: float) -> list[float]:
    """Closed-loop search load: each client sends the next request when the last answered."""
    url = f"{base}/api/v1/listings?near={JHH[0]},{JHH[1]}&radius_km=10&limit=20"
    latencies: list[float] = []
    deadline = time.perf_counter() + seconds

    async def client(http: aiohttp.ClientSession) -> None:
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            async with http.get(url) as r:
                await r.read()
                if r.status != 200:
                    raise RuntimeError(f"search answered {r.status}")
            latencies.append((time.perf_counter() - started) * 1000)

    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=conns)) as http:
        await asyncio.gather(*(client(http) for _ in range(conns)))
    return latencies


async def search_during_uploads(
    base: str, token: str, listing_id: str, data: bytes, conns: int, seconds: float
) -> tuple[list[float], list[float]]:
    """The search load while one client uploads the 12-MP photo in a loop; both samples."""
    uploads: list[float] = []
    stop = asyncio.Event()

    async def uploader() -> None:
        async with aiohttp.ClientSession() as http:
            while not stop.is_set():
                uploads.append(await upload_once(http, base, token, listing_id, data))

    task = asyncio.create_task(uploader())
    await asyncio.sleep(0.5)  # the first upload is in flight before the search starts
    latencies = await search_load(base, conns, seconds)
    stop.set()
    await task
    return latencies, uploads


def run(args: argparse.Namespace, data_dir: Path) -> dict:
    env = {
        "WARDMATE_LOG_LEVEL": "WARNING",
        "WARDMATE_RATE_LIMIT_PER_S": "0",
        "WARDMATE_UPLOAD_RATE_PER_MINUTE": "100000",
        "WARDMATE_PHOTOS_PER_LISTING": "100000",
    }
    stack = Stack(data_dir, fsync=False, extra_env=env)
    try:
        search.say(f"starting a fresh system in {data_dir} (fsync off)")
        stack.start_infra()
        stack.start_all()
        stack.wait_healthy(timeout=120)
        assert stack.database_url
        today = date.today()
        search.say(f"seeding {args.listings:,} listings")
        asyncio.run(search.seed(stack.database_url, args.listings, max(1, args.listings // 4), (today, today)))
        token, listing_id = asyncio.run(host_with_listing(stack.url, Mailbox(stack.mail_dir)))
        data = twelve_megapixels()
        with Image.open(io.BytesIO(data)) as probe:
            size = probe.size
        search.say(f"{args.photos} uploads of a {size[0]}x{size[1]} JPEG ({len(data) / 1e6:.1f} MB), one at a time")

        async def sequential() -> list[float]:
            async with aiohttp.ClientSession() as http:
                await upload_once(http, stack.url, token, listing_id, data)  # warm-up: the pool's first process
                return [await upload_once(http, stack.url, token, listing_id, data) for _ in range(args.photos)]

        per_photo = asyncio.run(sequential())
        print(f"    p50 {quantile(per_photo, 50):.2f} s, max {max(per_photo):.2f} s")
        alone: list[float] = []
        during: list[float] = []
        uploaded: list[float] = []
        asyncio.run(search_load(stack.url, args.conns, 3))  # warm-up
        for r in range(args.rounds):
            search.say(f"round {r + 1} of {args.rounds}: search alone, then during uploads")
            base = asyncio.run(search_load(stack.url, args.conns, args.seconds))
            loaded, ups = asyncio.run(
                search_during_uploads(stack.url, token, listing_id, data, args.conns, args.seconds)
            )
            print(
                f"    alone: p99 {quantile(base, 99):.1f} ms ({len(base) / args.seconds:.0f}/s); during "
                f"{len(ups)} uploads: p99 {quantile(loaded, 99):.1f} ms ({len(loaded) / args.seconds:.0f}/s)"
            )
            alone += base
            during += loaded
            uploaded += ups
    finally:
        stack.stop()
    p99_alone, p99_during = quantile(alone, 99), quantile(during, 99)
    return {
        "photo_megapixels": round(size[0] * size[1] / 1e6, 1),
        "photo_bytes": len(data),
        "upload_p50_s": round(quantile(per_photo, 50), 3),
        "upload_max_s": round(max(per_photo), 3),
        "uploads_during_search": len(uploaded),
        "upload_during_search_p50_s": round(quantile(uploaded, 50), 3) if uploaded else None,
        "search_p99_ms_alone": round(p99_alone, 2),
        "search_p99_ms_during_uploads": round(p99_during, 2),
        "search_p99_ratio": round(p99_during / p99_alone, 3),
        "search_rps_alone": round(len(alone) / (args.seconds * args.rounds), 1),
        "search_rps_during_uploads": round(len(during) / (args.seconds * args.rounds), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--listings", type=int, default=20_000)
    parser.add_argument("--photos", type=int, default=8)
    parser.add_argument("--conns", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="wardmate-bench-uploads-") as tmp:
        result = run(args, Path(tmp))
    print("RESULT " + json.dumps(result))


if __name__ == "__main__":
    main()
