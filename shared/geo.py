"""One great-circle distance for every service: haversine on one sphere, for one pair or
whole arrays, and the chord conversions that Postgres' index distances need.

The sphere is Postgres earthdistance's (``SELECT earth()``: 6,378,168 m), because the
services filter and order by distance in SQL (``ll_to_earth``, ``earth_box``, ``<->``)
and must agree to the metre with what they compute in Python. A sphere is off by at most
~0.5 % against the ellipsoid, far below what matters for "how far is the room from the
hospital".
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike, NDArray

EARTH_RADIUS_M = 6378168.0
EARTH_RADIUS_KM = EARTH_RADIUS_M / 1000


def chord_m(great_circle_m: float) -> float:
    """The straight-line chord between two points this far apart over the surface (what
    ``<->`` between two ``ll_to_earth`` positions measures)."""
    return 2 * EARTH_RADIUS_M * math.sin(min(great_circle_m / (2 * EARTH_RADIUS_M), math.pi / 2))


def great_circle_m(chord: float) -> float:
    """The surface distance of a chord (what earth_distance computes from it)."""
    return 2 * EARTH_RADIUS_M * math.asin(min(chord / (2 * EARTH_RADIUS_M), 1.0))


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Distance in km between two points given in decimal degrees."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi = phi2 - phi1
    dlmb = math.radians(lon2 - lon1)
    h = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlmb / 2) ** 2
    # Rounding can push h a hair above 1 for antipodal points; asin would then fail.
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(min(1.0, h)))


def haversine_km_array(lat1: ArrayLike, lon1: ArrayLike, lat2: ArrayLike, lon2: ArrayLike) -> NDArray[np.float64]:
    """Element-wise (broadcasting) haversine distance in km; same formula as `haversine_km`."""
    phi1 = np.radians(np.asarray(lat1, dtype=np.float64))
    phi2 = np.radians(np.asarray(lat2, dtype=np.float64))
    dlmb = np.radians(np.asarray(lon2, dtype=np.float64) - np.asarray(lon1, dtype=np.float64))
    h = np.sin((phi2 - phi1) / 2) ** 2 + np.cos(phi1) * np.cos(phi2) * np.sin(dlmb / 2) ** 2
    result: NDArray[np.float64] = 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.minimum(1.0, h)))
    return result
