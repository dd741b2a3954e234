"""Pydantic contracts: every request, reply and event that crosses a process boundary."""
