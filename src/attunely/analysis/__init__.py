"""Automatic micro-analysis: pure functions that turn a film's sound and pictures into signals.

Everything here works on numpy arrays and plain dataclasses; only `media` touches files
(through PyAV) and only `cli_report` writes outputs. Nothing imports the web or the database.
The analysis *proposes* moments and *describes* signals: it never scores or labels a person.
"""
