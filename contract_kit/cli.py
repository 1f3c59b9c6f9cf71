"""The ``contract-kit`` command line.

Exit codes, for every subcommand: 0 success, 1 the check found problems
(lint findings, failing properties, new breaking drift), 2 a usage error or a
spec / overlay / cassette file that cannot be loaded (one line naming the file
and the place, never a traceback), 3 an internal error (a bug: the traceback
is printed so it can be reported).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from typing import Any

from contract_kit.profiles import DEFAULT_PROFILE, PROFILES

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3

Command = Callable[[argparse.Namespace], int]
_COMMANDS: dict[str, Command] = {}


def command(name: str) -> Callable[[Command], Command]:
    def register(func: Command) -> Command:
        _COMMANDS[name] = func
        return func

    return register


def _add_contract_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--spec", default=None, metavar="PATH",
                        help="OpenAPI JSON/YAML file or folder (default: the bundled vendor document)")
    parser.add_argument("--profile", default=DEFAULT_PROFILE, choices=PROFILES,
                        help=f"contract profile (default: {DEFAULT_PROFILE})")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="contract-kit", description=__doc__.splitlines()[0] if __doc__ else None)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    lint = sub.add_parser("lint", help="report the documented document's defects and what repairs them")
    _add_contract_options(lint)
    lint.add_argument("--examples", default=None, metavar="DIR", help="folder of the page's example JSON files")
    lint.add_argument("--format", default="text", choices=("text", "json"))

    spec = sub.add_parser("spec", help="print the effective OpenAPI document of a profile")
    _add_contract_options(spec)
    spec.add_argument("--format", default="json", choices=("json", "yaml"))

    for extend in _EXTENSIONS:
        extend(sub)
    return parser


# Subcommands that live in their own modules (check, serve, drift) register a
# parser builder here with ``extension`` and their handler with ``command``.
_EXTENSIONS: list[Callable[[Any], None]] = []
EXTENSION_MODULES = ("contract_kit.cli_check", "contract_kit.cli_serve", "contract_kit.cli_drift")


def extension(build: Callable[[Any], None]) -> Callable[[Any], None]:
    """Register a function that adds a subparser: ``build(subparsers)``."""
    _EXTENSIONS.append(build)
    return build


def add_contract_options(parser: argparse.ArgumentParser) -> None:
    """``--spec`` and ``--profile``, shared by every subcommand that loads a contract."""
    _add_contract_options(parser)


@command("lint")
def _cmd_lint(args: argparse.Namespace) -> int:
    from contract_kit.lint import lint, render_text

    report = lint(args.spec, args.profile, args.examples)
    if args.format == "json":
        print(json.dumps(report.to_dict(), indent=2, ensure_ascii=False))
    else:
        print(render_text(report))
    return report.exit_code


@command("spec")
def _cmd_spec(args: argparse.Namespace) -> int:
    from contract_kit.contract import load_contract

    document = load_contract(args.profile, args.spec).document
    if args.format == "yaml":
        import yaml

        sys.stdout.write(yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=120))
    else:
        print(json.dumps(document, indent=2, ensure_ascii=False))
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    from contract_kit.errors import ContractKitError

    _load_extensions()
    args = build_parser().parse_args(argv)
    try:
        return _COMMANDS[args.command](args)
    except ContractKitError as exc:
        print(f"contract-kit {args.command}: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print(f"contract-kit {args.command}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (`contract-kit lint | head`): not an error of ours.
        _silence_stdout()
        return EXIT_OK
    except Exception:
        import traceback

        traceback.print_exc()
        print(f"contract-kit {args.command}: internal error (exit {EXIT_INTERNAL}); "
              "this is a bug in contract-kit, please report it with the traceback above", file=sys.stderr)
        return EXIT_INTERNAL


def _silence_stdout() -> None:
    import os

    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


def _load_extensions() -> None:
    """Import the modules that add subcommands (each registers itself once)."""
    from importlib import import_module

    for name in EXTENSION_MODULES:
        try:
            import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise


if __name__ == "__main__":  # pragma: no cover
    # Run as a script, this file is ``__main__``, while subcommand modules
    # register on ``contract_kit.cli``: delegate to that module's ``main``.
    from contract_kit.cli import main as _main

    raise SystemExit(_main())
