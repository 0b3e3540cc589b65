"""Scaling past one machine (filled in below)."""
