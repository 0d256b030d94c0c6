"""schedule stage (being built)."""
