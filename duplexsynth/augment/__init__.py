"""augment stage (being built)."""
