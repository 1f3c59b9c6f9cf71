"""``contract-kit lint``: the documented document's defects and the repairs that fix them."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
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
    """Each document ``--spec`` names is linted on its own; with several, every text line starts with
    its document's file name and the JSON is a list of reports (each names its ``document``)."""
    from contract_kit.contract import (  # start-up cost: only when this command runs
        lint,
        render_lint,
        spec_paths,
    )  # start-up cost

    paths = spec_paths(args.spec)
    reports = [
        lint(path, args.profile, args.examples, overlays=args.overlays, whole=args.scope == "document")
        for path in paths
    ]
    several = len(reports) > 1
    if args.format == "json":
        dicts = [report.to_dict() for report in reports]
        print(json.dumps(dicts if several else dicts[0], indent=2, ensure_ascii=False))
    else:
        for report in reports:
            print(
                _prefixed(render_lint(report), Path(report.document).name) if several else render_lint(report)
            )
    return max(report.exit_code for report in reports)


def _prefixed(text: str, name: str) -> str:
    return "\n".join(f"{name}: {line}" if line else line for line in text.splitlines())
