"""The sync daemon a municipal or regional server runs all year (``hub daemon``)."""
