"""What every subcommand shares: exit codes and the contract options."""

from __future__ import annotations

import argparse

from contract_kit.defaults import DEFAULT_PROFILE, Profile

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3


def add_contract_options(parser: argparse.ArgumentParser, *, overlay_alias: bool = True) -> None:
    """``--spec``, ``--profile`` and ``--contract-overlay``, shared by every subcommand that loads a contract.

    ``--overlay`` is an alias of ``--contract-overlay`` except for ``drift``, where
    ``--overlay FILE`` is where the proposed overlay is written.
    """
    flags = ["--contract-overlay", "--overlay"] if overlay_alias else ["--contract-overlay"]
    parser.add_argument(
        *flags,
        dest="overlays",
        action="append",
        default=[],
        metavar="PATH",
        help="a team's own OpenAPI Overlay, applied after the profile's overlays (repeatable, in order)",
    )
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
