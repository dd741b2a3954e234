"""NATS endpoints of matching, one module per area; ``app.py`` wires them."""
