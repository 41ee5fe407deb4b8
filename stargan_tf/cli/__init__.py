"""The command line: flags, the system registry, data wiring and the modes of main.py."""
