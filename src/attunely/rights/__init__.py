"""Data rights: subject access requests and erasure of a person or a case."""
