"""align stage (being built)."""
