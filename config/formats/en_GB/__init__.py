"""English (UK)."""
