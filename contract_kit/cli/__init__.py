"""The ``contract-kit`` command: ``main`` parses, runs one subcommand and returns its exit code."""

from contract_kit.cli.main import main

__all__ = ["main"]
