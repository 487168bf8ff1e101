"""The data protection impact assessment pack, generated from the live configuration."""
