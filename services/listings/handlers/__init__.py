"""NATS endpoints of listings, one module per area; ``app.py`` wires them."""
