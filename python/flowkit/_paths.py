"""Paths set by make install (empty in a checkout)."""
DATADIR = ""
