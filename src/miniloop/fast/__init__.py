"""The speed-ups layer."""
