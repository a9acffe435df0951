"""periodize: place a periodized knee, quad and plyometric program in a person's week."""

__version__ = "0.1.0"
