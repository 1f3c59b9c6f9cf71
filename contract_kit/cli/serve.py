"""``contract-kit serve``: the mock (or a cassette replay) over real HTTP for any client."""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from contract_kit.cli._common import EXIT_FINDINGS, EXIT_OK, add_contract_options, load_documents
from contract_kit.cli._console import ConsoleLines


def add_parser(sub: Any) -> None:
    serve = sub.add_parser(
        "serve",
        help="serve the document's POST .../chat/completions (the mock, or a cassette replay) over HTTP",
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
        "--allow-host",
        action="append",
        default=[],
        metavar="NAME",
        help="a Host name the control plane (/_contract/...) also answers besides loopback names; "
        "repeatable; '*' answers any (DNS rebinding protection off)",
    )
    serve.add_argument(
        "--fault",
        default=None,
        metavar="NAME",
        help="with --cassette-dir: replay every recorded stream with this fault (truncated-after-2, no-done, "
        "one-byte-reads, split-mid-utf8, split-mid-line, malformed-at-1, latency)",
    )
    serve.add_argument(
        "--max-body-bytes", type=int, default=10 * 1024 * 1024, help="request body limit (413 above)"
    )
    serve.add_argument(
        "--api-key",
        action="append",
        default=[],
        metavar="KEY",
        help="a valid key (repeatable): other keys get 401 invalid_api_key, a missing key 401",
    )
    serve.add_argument(
        "--cors",
        action="append",
        default=None,
        metavar="ORIGIN",
        help="an origin browsers may call from (repeatable, '*' for any; default: loopback origins only)",
    )
    serve.add_argument("--quiet", action="store_true", help="no console line per request")
    serve.add_argument(
        "--no-answer-check",
        action="store_true",
        help="do not check each generated answer against the document before sending it (benchmarks only)",
    )
    proxy = serve.add_argument_group("proxy (a validating, recording proxy in front of the live API)")
    proxy.add_argument("--proxy", default=None, metavar="URL", help="forward every request to this base URL")
    proxy.add_argument(
        "--pass-key",
        action="store_true",
        help="forward the client's Authorization instead of $AIMLAPI_API_KEY",
    )
    proxy.add_argument("--record", default=None, metavar="DIR", help="write cassettes to DIR")
    proxy.add_argument("--report", default=None, metavar="FILE", help="write the drift report at shutdown")
    proxy.add_argument(
        "--strict",
        action="store_true",
        help="answer an invalid request with the mock's 400; do not forward it",
    )
    serve.add_argument(
        "--rules",
        default=None,
        metavar="FILE",
        help="reply rules matched on the request (YAML or JSON: {rules: [{when, reply, times}], strict})",
    )


def run(args: argparse.Namespace) -> int:
    from contract_kit.mock.transports import make_app, serve  # start-up cost

    if args.proxy:
        return _run_proxy(args)
    documents = load_documents(args)
    contract = documents.primary
    handler = _handler(args, documents)
    several = f", {len(documents)} documents: {', '.join(documents.documents)}" if len(documents) > 1 else ""
    source = (
        f"cassettes in {args.cassette_dir}" + (f" with the {args.fault} fault" if args.fault else "")
        if args.cassette_dir
        else f"the mock (profile {args.profile}, seed {args.seed}{several})"
    )
    print(
        f"contract-kit serve: {source}; {_where(args, contract)} (Ctrl+C stops)", file=sys.stderr, flush=True
    )
    console = None if args.quiet else ConsoleLines()
    front = _front(args, handler, console)
    app = make_app(front, max_body_bytes=args.max_body_bytes, allow_hosts=_control_hosts(args))
    with console or contextlib.nullcontext():
        serve(app, host=args.host, port=args.port)
    return EXIT_OK


def _where(args: argparse.Namespace, contract: Any) -> str:
    """Where the document puts the operation, on this host: each server path, then the base URL to give clients.

    ``POST http://127.0.0.1:4010/openai/deployments/{deployment-id}/chat/completions (base URL
    http://127.0.0.1:4010/openai)`` for Azure's document; ``/v1/chat/completions`` for the bundled one.
    """
    origin = f"http://{args.host}:{args.port}"
    paths = [urlsplit(url).path for url in contract.server_urls]
    routes = " and ".join(f"{origin}{path}{contract.path}" for path in dict.fromkeys(paths))
    return f"POST {routes} (base URL {origin}{contract.api_root_path})"


def _control_hosts(args: argparse.Namespace) -> tuple[str, ...]:
    """``--allow-host`` names, plus the bound host when it is a name rather than a wildcard."""
    bound = () if args.host in ("0.0.0.0", "::", "") else (args.host,)
    return (*bound, *args.allow_host)


def _run_proxy(args: argparse.Namespace) -> int:
    """Serve the validating proxy until Ctrl+C, then print the findings and write the report."""

    from contract_kit.drift import (  # start-up cost
        DriftChecker,
        ProxySettings,
        ValidatingProxy,
        api_key_from_env,
        render_table,
        write_json,
    )
    from contract_kit.mock.transports import serve  # start-up cost

    key = None if args.pass_key else api_key_from_env("serve --proxy")
    settings = ProxySettings(
        args.proxy,
        key=key,
        pass_key=args.pass_key,
        strict=args.strict,
        record_dir=Path(args.record) if args.record else None,
    )
    console = None if args.quiet else ConsoleLines()
    app = ValidatingProxy(settings, DriftChecker.for_spec(args.spec), log=console)
    print(
        f"contract-kit serve: proxy to {settings.upstream} at http://{args.host}:{args.port} (Ctrl+C stops)",
        file=sys.stderr,
        flush=True,
    )
    # uvicorn re-raises the Ctrl+C it handled: that is the stop
    with console or contextlib.nullcontext(), contextlib.suppress(KeyboardInterrupt):
        serve(app, host=args.host, port=args.port)
    if args.report:
        write_json(args.report, app.report(), app.redactor, what="drift report")
        print(f"drift report written to {args.report}", file=sys.stderr)
    print("\n".join(render_table(app.collector)), file=sys.stderr, flush=True)
    return EXIT_FINDINGS if app.collector.new_breaking() else EXIT_OK


def _front(args: argparse.Namespace, handler: Any, log: Callable[[str], None] | None) -> Any:
    from contract_kit.mock import Front  # start-up cost

    return Front(handler, api_keys=args.api_key, cors=args.cors, log=log, describe=_scenario_of(handler))


def _scenario_of(handler: Any) -> Any:
    """The scenario slots of the call just answered, when the handler records calls (the mock)."""
    if not hasattr(handler, "call_log"):
        return None

    def describe(request: Any, response: Any) -> str:
        plan = handler.call_log.last_plan()  # the newest call's plan only: no call is built for a line
        return ", ".join(str(part.get("scenario", "")) for part in plan)

    return describe


def _handler(args: argparse.Namespace, documents: Any) -> Any:
    """The mock serves every document (each model by its own); a replay is limited to the first's path."""
    if args.cassette_dir:
        from contract_kit.cassettes import (  # start-up cost
            FaultedReplay,
            replay_handler_for_dir,
            stream_faults,
        )  # start-up cost

        replay = replay_handler_for_dir(args.cassette_dir, documents.primary)
        return FaultedReplay(replay, stream_faults(args.fault)[0]) if args.fault else replay
    from contract_kit.mock import MockService  # start-up cost

    service = MockService(
        documents,
        seed=args.seed,
        require_auth=not args.no_auth,
        max_body_bytes=args.max_body_bytes,
        check_answers=not args.no_answer_check,
    )
    if args.rules:
        service.rules.load(_read_rules(args.rules))
    return service


def _read_rules(path: str) -> Any:
    import yaml  # start-up cost: only with --rules

    from contract_kit.errors import ConfigError  # start-up cost

    try:
        with open(path, encoding="utf-8") as handle:
            return yaml.safe_load(handle)
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"--rules {path}: {exc}") from None
