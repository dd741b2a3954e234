"""Illustrations for the demo's rooms, rendered at seeding time (nothing is downloaded):
a room's outline in perspective, its furniture, and a banner saying it is an illustration,
so nobody mistakes a demo room for a real one."""

from __future__ import annotations

import io
import random

from PIL import Image, ImageDraw, ImageFont

WIDTH, HEIGHT = 1600, 1200
# (what the picture shows, its alt text's words)
VIEWS = [("bedroom", "the bed and the window"), ("desk", "the desk and the bookshelf"), ("kitchen", "the kitchen")]
WALLS = [(236, 228, 214), (214, 226, 236), (226, 236, 220), (240, 224, 224), (230, 230, 240)]


def _font(size: int) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow before 10.1 has one size
        return ImageFont.load_default()


def render_room(title: str, view: str, seed: int) -> bytes:
    """A JPEG illustration of one ``view`` (bedroom, desk, kitchen) of the room ``title``."""
    rng = random.Random(seed)
    wall = rng.choice(WALLS)
    image = Image.new("RGB", (WIDTH, HEIGHT), wall)
    draw = ImageDraw.Draw(image)
    # The back wall, the floor and the side walls in one-point perspective.
    back = (400, 250, 1200, 800)
    darker = tuple(max(0, c - 25) for c in wall)
    floor = (170 + rng.randrange(40), 130 + rng.randrange(30), 90 + rng.randrange(20))
    draw.polygon([(0, HEIGHT), (back[0], back[3]), (back[2], back[3]), (WIDTH, HEIGHT)], fill=floor)
    draw.polygon([(0, 0), (back[0], back[1]), (back[0], back[3]), (0, HEIGHT)], fill=darker)
    draw.polygon([(WIDTH, 0), (back[2], back[1]), (back[2], back[3]), (WIDTH, HEIGHT)], fill=darker)
    draw.rectangle(back, outline=(90, 90, 90), width=4)
    # A window on the back wall, sky blue.
    draw.rectangle((700, 330, 950, 520), fill=(170, 210, 240), outline=(255, 255, 255), width=10)
    draw.line((825, 330, 825, 520), fill=(255, 255, 255), width=6)
    if view == "bedroom":
        draw.rectangle((480, 620, 880, 860), fill=(250, 250, 250), outline=(80, 80, 80), width=4)
        draw.rectangle((480, 580, 880, 640), fill=(120, 90, 70))
        draw.rectangle((500, 650, 620, 700), fill=(220, 230, 250))
    elif view == "desk":
        draw.rectangle((880, 640, 1150, 680), fill=(140, 100, 60))
        draw.rectangle((890, 680, 910, 820), fill=(110, 80, 50))
        draw.rectangle((1120, 680, 1140, 820), fill=(110, 80, 50))
        draw.rectangle((460, 300, 600, 780), fill=(150, 110, 70), outline=(90, 60, 40), width=4)
        for shelf in range(380, 780, 100):
            draw.line((460, shelf, 600, shelf), fill=(90, 60, 40), width=4)
    else:
        draw.rectangle((420, 600, 1180, 800), fill=(245, 245, 245), outline=(90, 90, 90), width=4)
        draw.rectangle((700, 560, 820, 600), fill=(200, 200, 200))
        for x in range(470, 1150, 170):
            draw.rectangle((x, 640, x + 120, 760), outline=(120, 120, 120), width=3)
    # The banner: this is an illustration, with the room's title.
    draw.rectangle((0, HEIGHT - 170, WIDTH, HEIGHT), fill=(20, 40, 70))
    draw.text((40, HEIGHT - 150), "Illustration (demo data)", fill=(255, 255, 255), font=_font(48))
    draw.text((40, HEIGHT - 85), title[:60], fill=(210, 225, 245), font=_font(40))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()


def demo_photos(title: str, seed: int) -> list[tuple[bytes, str]]:
    """Two or three illustrations of a demo room, each with its alt text."""
    count = 2 + seed % 2
    return [
        (render_room(title, view, seed * 10 + i), f"Illustration of {what} in the room {title}")
        for i, (view, what) in enumerate(VIEWS[:count])
    ]
