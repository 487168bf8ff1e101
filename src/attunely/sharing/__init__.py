"""Sharing clips with the professional network through expiring, watermarked links."""
