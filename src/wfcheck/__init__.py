"""wfcheck: static determinism checks for durable workflow code."""

__version__ = "0.1.0"
