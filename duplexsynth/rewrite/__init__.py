"""rewrite stage (being built)."""
