"""What every subcommand shares: exit codes and the contract options."""

from __future__ import annotations

import argparse
import os
from typing import TYPE_CHECKING

from contract_kit.defaults import DEFAULT_PROFILE, Profile

if TYPE_CHECKING:
    from contract_kit.contract import ContractSet

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
        action="append",
        default=None,
        metavar="PATH",
        help="OpenAPI JSON/YAML file, or a folder of them (every document in it); repeat it, or join "
        f"paths with {os.pathsep!r}, for several documents (default: the bundled vendor document)",
    )
    parser.add_argument(
        "--profile",
        default=DEFAULT_PROFILE,
        choices=Profile.choices(),
        help=f"contract profile (default: {DEFAULT_PROFILE})",
    )


def load_documents(args: argparse.Namespace) -> ContractSet:
    """Every document ``--spec`` names (the bundled one without it), under ``--profile`` and the overlays."""
    from contract_kit.contract import load_contracts  # start-up cost

    return load_contracts(args.profile, args.spec, overlays=args.overlays)


def spec_words(args: argparse.Namespace) -> list[str]:
    """``--spec`` as the command line took it, for a command a report tells the user to run again."""
    return [f"--spec {path}" for path in args.spec or ()]
