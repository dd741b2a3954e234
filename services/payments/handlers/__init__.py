"""NATS endpoints of payments, one module per area, each with its ``registry``."""
