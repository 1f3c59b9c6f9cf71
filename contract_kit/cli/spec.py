"""``contract-kit spec``: print the effective OpenAPI document of a profile."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from contract_kit.cli._common import EXIT_OK, add_contract_options, load_documents
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
    """One document as ever; several: JSON maps each document's file name to its effective document,
    YAML gives one YAML document per page, each after a ``# <file name>`` comment."""
    from contract_kit.contract import with_sse_style  # start-up cost: only when this runs

    documents = {
        contract.files.document.name: with_sse_style(contract.document, SseStyle(args.sse_style))
        for contract in load_documents(args)
    }
    several = len(documents) > 1
    if args.format == "yaml":
        import yaml  # start-up cost: only for --format yaml

        for name, document in documents.items():
            if several:
                sys.stdout.write(f"--- # {name}\n")
            sys.stdout.write(yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=120))
    else:
        shown = documents if several else next(iter(documents.values()))
        print(json.dumps(shown, indent=2, ensure_ascii=False))
    return EXIT_OK
