"""The ``contract-kit`` command line: one module per subcommand, imported explicitly.

Exit codes, for every subcommand: 0 success, 1 the check found problems
(lint findings, failing properties, new breaking drift), 2 a usage error or a
spec / overlay / cassette file that cannot be loaded (one line naming the file
and the place, never a traceback), 3 an internal error (a bug: the traceback
is printed so it can be reported).
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from collections.abc import Callable, Sequence
from types import ModuleType

from contract_kit.cli import check, drift, lint, serve, spec
from contract_kit.cli._common import EXIT_INTERNAL, EXIT_OK, EXIT_USAGE
from contract_kit.errors import ContractKitError
from contract_kit.redact import scrub

DESCRIPTION = "Contract tests, a mock server, Hypothesis cases and drift checks for chat completions."

# Each command module has ``add_parser(subparsers)`` and ``run(args) -> int``.
COMMANDS: dict[str, ModuleType] = {"lint": lint, "spec": spec, "check": check, "serve": serve, "drift": drift}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="contract-kit", description=DESCRIPTION)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in COMMANDS.values():
        module.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    run: Callable[[argparse.Namespace], int] = COMMANDS[args.command].run
    try:
        return run(args)
    except ContractKitError as exc:
        print(scrub(f"contract-kit {args.command}: error: {exc}"), file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print(f"contract-kit {args.command}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (`contract-kit lint | head`): not an error of ours.
        _silence_stdout()
        return EXIT_OK
    except Exception:
        print(scrub(traceback.format_exc()), end="", file=sys.stderr)
        print(
            f"contract-kit {args.command}: internal error (exit {EXIT_INTERNAL}); "
            "this is a bug in contract-kit, please report it with the traceback above",
            file=sys.stderr,
        )
        return EXIT_INTERNAL


def _silence_stdout() -> None:
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
