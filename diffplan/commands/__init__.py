"""Subcommands of the ``diffplan`` command line, one module each."""
