"""The film vault: envelope-encrypted, seekable storage of footage and what is made from it."""
