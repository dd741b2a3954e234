"""NATS endpoints of messaging, by what they serve; importing this package registers them."""

from services.messaging.handlers import conversations, notifications, pushes, safety

__all__ = ["conversations", "notifications", "pushes", "safety"]
