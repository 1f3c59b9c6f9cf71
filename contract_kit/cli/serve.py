"""``contract-kit serve``: the mock (or a cassette replay) over real HTTP for any client."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from contract_kit.cli._common import EXIT_OK, add_contract_options


def add_parser(sub: Any) -> None:
    serve = sub.add_parser(
        "serve", help="serve POST /v1/chat/completions (the mock, or a cassette replay) over HTTP"
    )
    add_contract_options(serve)
    serve.add_argument(
        "--host",
        default="127.0.0.1",
        help="interface to bind (default: 127.0.0.1, loopback only; 0.0.0.0 exposes it)",
    )
    serve.add_argument("--port", type=int, default=4010, help="port (default: 4010)")
    serve.add_argument(
        "--seed", type=int, default=0, help="seed of generated content when requests carry none"
    )
    serve.add_argument(
        "--no-auth", action="store_true", help="accept requests without 'Authorization: Bearer'"
    )
    serve.add_argument(
        "--cassette-dir",
        default=None,
        metavar="DIR",
        help="replay recorded cassettes from DIR instead of generating responses",
    )
    serve.add_argument(
        "--max-body-bytes", type=int, default=10 * 1024 * 1024, help="request body limit (413 above)"
    )


def run(args: argparse.Namespace) -> int:
    from contract_kit.contract import load_contract
    from contract_kit.mock.transports import make_app, serve

    contract = load_contract(args.profile, args.spec)
    handler = _handler(args, contract)
    where = (
        f"http://{args.host}:{args.port}{contract.base_path}"  # the document's server path (Azure: /openai)
    )
    source = (
        f"cassettes in {args.cassette_dir}"
        if args.cassette_dir
        else f"the mock (profile {args.profile}, seed {args.seed})"
    )
    print(
        f"contract-kit serve: {source} at {where}{contract.path} (Ctrl+C stops)",
        file=sys.stderr,
        flush=True,
    )
    serve(make_app(handler, max_body_bytes=args.max_body_bytes), host=args.host, port=args.port)
    return EXIT_OK


def _handler(args: argparse.Namespace, contract: Any) -> Any:
    if args.cassette_dir:
        from contract_kit.cassettes import replay_handler_for_dir

        return replay_handler_for_dir(args.cassette_dir, contract)
    from contract_kit.mock import MockService

    return MockService(
        contract, seed=args.seed, require_auth=not args.no_auth, max_body_bytes=args.max_body_bytes
    )
