"""The MAX network plugin (hub_max)."""
