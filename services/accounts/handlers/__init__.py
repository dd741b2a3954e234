"""NATS endpoints of accounts, one module per area; ``app.py`` wires them."""
