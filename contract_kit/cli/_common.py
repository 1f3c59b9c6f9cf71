"""What every subcommand shares: exit codes and the contract options."""

from __future__ import annotations

import argparse

from contract_kit.defaults import DEFAULT_PROFILE, Profile

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3


def add_contract_options(parser: argparse.ArgumentParser) -> None:
    """``--spec`` and ``--profile``, shared by every subcommand that loads a contract."""
    parser.add_argument(
        "--spec",
        default=None,
        metavar="PATH",
        help="OpenAPI JSON/YAML file or folder (default: the bundled vendor document)",
    )
    parser.add_argument(
        "--profile",
        default=DEFAULT_PROFILE,
        choices=Profile.choices(),
        help=f"contract profile (default: {DEFAULT_PROFILE})",
    )
