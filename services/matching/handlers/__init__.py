"""NATS endpoints of matching, by what they serve; importing this package registers them."""

from services.matching.handlers import matches, meetings, mentorships, plans, rotations, rounds

__all__ = ["matches", "meetings", "mentorships", "plans", "rotations", "rounds"]
