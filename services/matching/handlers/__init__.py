"""NATS endpoints of matching, by what they serve; importing this package registers them."""

from services.matching.handlers import matches, mentorships, rotations, rounds

__all__ = ["matches", "mentorships", "rotations", "rounds"]
