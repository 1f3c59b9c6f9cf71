"""``contract-kit check``: run the contract suite against a target and print what holds.

The main job of the kit::

    contract-kit check                               # the embedded mock, offline
    contract-kit check --target http://127.0.0.1:4010/v1 --examples 50
    AIMLAPI_API_KEY=... contract-kit check --target https://api.aimlapi.com/v1 --examples 20

Exit status: 0 when every property holds, 1 when one fails (its minimal
failing example is printed), 2 on a usage error. Every run prints its seed;
``--seed`` replays it exactly (the examples and, for the mock, its answers).
No Hypothesis database and no deadline are used, so a run depends on its seed
alone, however loaded the machine. On a terminal, stderr shows each property's
examples as they run; in CI logs nothing is printed until the report.
"""

from __future__ import annotations

import argparse
import os
import random
from typing import Any

from contract_kit.cli._common import EXIT_FINDINGS, EXIT_OK, add_contract_options, load_documents, spec_words
from contract_kit.cli._progress import Progress
from contract_kit.defaults import API_KEY_ENV, DEFAULT_BASE_URL
from contract_kit.errors import LiveConfigError

DEFAULT_EXAMPLES = 100
PROPERTY_CHOICES = ("valid", "invalid", "agreement")


def add_parser(sub: Any) -> None:
    check = sub.add_parser(
        "check",
        help="run the contract suite (valid, invalid, stream/JSON agreement) against the mock or a URL",
    )
    add_contract_options(check)
    check.add_argument(
        "--target",
        default="mock",
        metavar="mock|URL",
        help="'mock' (the embedded mock, in-process; the default) or the API root URL, e.g. "
        f"{DEFAULT_BASE_URL} (Authorization from ${API_KEY_ENV})",
    )
    check.add_argument(
        "--no-auth",
        action="store_true",
        help="send no Authorization to a URL target (for a server that needs no key, "
        "such as contract-kit serve --no-auth); without it a URL target needs $AIMLAPI_API_KEY",
    )
    check.add_argument(
        "--examples",
        type=_positive,
        default=DEFAULT_EXAMPLES,
        metavar="N",
        help=f"examples per property (default: {DEFAULT_EXAMPLES})",
    )
    check.add_argument(
        "--seed",
        type=int,
        default=None,
        metavar="S",
        help="seed of the examples and of the mock's answers (default: random, printed)",
    )
    check.add_argument(
        "--property",
        dest="properties",
        action="append",
        choices=PROPERTY_CHOICES,
        help="run only this property (repeatable; default: all)",
    )


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def run(args: argparse.Namespace) -> int:
    """The suite once per document ``--spec`` names; each report is headed by its document, and the run
    fails when one document's does. The mock target serves every document (each model by its own)."""
    documents = load_documents(args)
    seed = args.seed if args.seed is not None else random.randrange(2**31)
    _require_key(args)
    several = len(documents) > 1
    failed = [
        contract.files.document.name
        for contract in documents
        if not _check_document(args, contract, documents if several else None, seed)
    ]
    if several:
        verdict = f"FAILED: {', '.join(failed)}" if failed else "ok"
        print(f"contract-kit check: {len(documents)} documents, {verdict}")
    return EXIT_FINDINGS if failed else EXIT_OK


def _check_document(args: argparse.Namespace, contract: Any, documents: Any, seed: int) -> bool:
    """Run the suite for one document's contract and print its report; ``True`` when every property holds."""
    from contract_kit.suite import ContractSuite, format_report, make_target  # start-up cost

    options = {"documents": documents} if args.target == "mock" else {"auth": not args.no_auth}
    target = make_target(args.target, contract, seed=seed, **options)
    properties = tuple(args.properties or PROPERTY_CHOICES)
    about = f"document {contract.files.document.name}, " if documents is not None else ""
    print(
        f"contract-kit check: {about}profile {contract.profile}, {args.examples} examples per property, "
        f"seed {seed}",
        flush=True,
    )
    progress = Progress()
    suite = ContractSuite(
        contract,
        target,
        examples=args.examples,
        seed=seed,
        database=False,
        deadline=False,
        progress=progress.examples,
    )
    try:
        report = suite.run(properties)
    finally:
        target.close()
        progress.clear()
    print(format_report(report, reproduce=_reproduce(args, seed)))
    return bool(report.ok)


def _require_key(args: argparse.Namespace) -> None:
    """A URL target without a key would answer 401 to everything; say so before sending anything."""
    if args.target == "mock" or args.no_auth or os.environ.get(API_KEY_ENV, "").strip():
        return
    if not args.target.startswith(("http://", "https://")):
        return  # not a URL at all: make_target says so
    raise LiveConfigError(
        f"--target {args.target} needs the API key: set {API_KEY_ENV} "
        f"({API_KEY_ENV}=... contract-kit check --target {args.target}), "
        "or pass --no-auth for a server that needs no key (such as contract-kit serve --no-auth)"
    )


def _reproduce(args: argparse.Namespace, seed: int) -> str:
    parts = [
        "contract-kit check",
        f"--target {args.target}",
        f"--examples {args.examples}",
        f"--seed {seed}",
        f"--profile {args.profile}",
    ]
    parts += spec_words(args)
    parts += [f"--contract-overlay {path}" for path in args.overlays]
    if args.no_auth:
        parts.append("--no-auth")
    parts += [f"--property {name}" for name in args.properties or ()]
    return " ".join(parts)
