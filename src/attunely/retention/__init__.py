"""Retention: what each record class keeps, legal holds, scheduled expiry and shredding."""
