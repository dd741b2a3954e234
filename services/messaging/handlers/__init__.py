"""NATS endpoints of messaging, one module per area; ``app.py`` wires them."""
