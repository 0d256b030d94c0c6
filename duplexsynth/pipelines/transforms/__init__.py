"""transforms stage (being built)."""
