"""filters stage (being built)."""
