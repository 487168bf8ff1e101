"""Attunely: strengths-based video feedback for family-support practitioners."""

__version__ = "0.1.0"
