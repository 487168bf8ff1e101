"""Backups of the database and vault, and the erasure ledger a restore re-applies."""
