"""alliance: track the implementation of a policy brief's recommendations."""

__version__ = "0.1.0"
