"""Apache Beam transforms, the stage runner and the ``duplexsynth`` CLI.

Stage code in the other subpackages knows nothing of Beam; this package wraps it.
"""
