"""NATS endpoints of payments, by what they serve; importing this package registers them."""

from services.payments.handlers import operators, paying, payouts, webhooks

__all__ = ["operators", "paying", "payouts", "webhooks"]
