"""``contract-kit spec``: print the effective OpenAPI document of a profile."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from contract_kit.cli._common import EXIT_OK, add_contract_options


def add_parser(sub: Any) -> None:
    parser = sub.add_parser("spec", help="print the effective OpenAPI document of a profile")
    add_contract_options(parser)
    parser.add_argument("--format", default="json", choices=("json", "yaml"))


def run(args: argparse.Namespace) -> int:
    from contract_kit.contract import load_contract  # start-up cost: only when this command runs

    document = load_contract(args.profile, args.spec, overlays=args.overlays).document
    if args.format == "yaml":
        import yaml  # start-up cost: only for --format yaml

        sys.stdout.write(yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=120))
    else:
        print(json.dumps(document, indent=2, ensure_ascii=False))
    return EXIT_OK
