"""``contract-kit spec``: print the effective OpenAPI document of a profile."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from contract_kit.cli._common import EXIT_OK, add_contract_options
from contract_kit.defaults import SseStyle


def add_parser(sub: Any) -> None:
    parser = sub.add_parser("spec", help="print the effective OpenAPI document of a profile")
    add_contract_options(parser)
    parser.add_argument("--format", default="json", choices=("json", "yaml"))
    parser.add_argument(
        "--sse-style",
        default=SseStyle.VENDOR.value,
        choices=SseStyle.choices(),
        help="event-stream schema: 'vendor' (the chunk schema, default) or '3.2' (one event whose data "
        "carries the chunk schema as JSON content; for Schemathesis and other event-stream validators)",
    )


def run(args: argparse.Namespace) -> int:
    from contract_kit.contract import load_contract, with_sse_style  # start-up cost: only when this runs

    contract = load_contract(args.profile, args.spec, overlays=args.overlays)
    document = with_sse_style(contract.document, SseStyle(args.sse_style))
    if args.format == "yaml":
        import yaml  # start-up cost: only for --format yaml

        sys.stdout.write(yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=120))
    else:
        print(json.dumps(document, indent=2, ensure_ascii=False))
    return EXIT_OK
