"""``contract-kit lint``: the documented document's defects and the repairs that fix them."""

from __future__ import annotations

import argparse
import json
from typing import Any

from contract_kit.cli._common import add_contract_options


def add_parser(sub: Any) -> None:
    parser = sub.add_parser("lint", help="report the documented document's defects and what repairs them")
    add_contract_options(parser)
    parser.add_argument(
        "--examples", default=None, metavar="DIR", help="folder of the page's example JSON files"
    )
    parser.add_argument("--format", default="text", choices=("text", "json"))
    parser.add_argument(
        "--scope",
        default="document",
        choices=("document", "operation"),
        help="check the whole document (the rest as warnings) or only what the chat operation reaches (faster)",
    )


def run(args: argparse.Namespace) -> int:
    from contract_kit.contract import (  # start-up cost: only when this command runs
        lint,
        render_lint,
    )  # start-up cost

    report = lint(
        args.spec, args.profile, args.examples, overlays=args.overlays, whole=args.scope == "document"
    )
    if args.format == "json":
        print(json.dumps(report.to_dict(), indent=2, ensure_ascii=False))
    else:
        print(render_lint(report))
    return report.exit_code
