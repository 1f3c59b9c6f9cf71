"""``contract-kit drift``: live probes, or an offline re-check of recorded cassettes.

- ``contract-kit drift --live [--base-url URL] [--cassette-dir DIR] [--report FILE] [--overlay FILE]``
  runs the built-in probe set (:mod:`contract_kit.drift.probes`) against the live
  API with ``AIMLAPI_API_KEY``, records one cassette per probe, prints the
  drift table and exits 1 on new breaking drift.
- ``contract-kit drift DIR`` re-checks every cassette under ``DIR`` against
  the current contract, offline (after a spec or overlay change, say). The
  shipped ``fixtures/cassettes`` works on a fresh install.

``--report`` writes the JSON report, ``--overlay`` a proposed OpenAPI Overlay
for the new drift (here ``--overlay`` is an output; a team's own overlays are
added with ``--contract-overlay``, as on every command). Exit codes: 0, 1 (new breaking drift), 2 (usage error or
a file that cannot be loaded, with file and line).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from contract_kit.cli._common import EXIT_FINDINGS, EXIT_OK, add_contract_options
from contract_kit.cli._progress import Progress

if TYPE_CHECKING:
    from contract_kit.drift import DriftChecker, DriftCollector
    from contract_kit.redact import Redactor

from contract_kit.defaults import BASE_URL_ENV, DEFAULT_BASE_URL, DEFAULT_PROBE_DIR


def add_parser(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "drift",
        help="check the live API (--live) or recorded cassettes (DIR) for drift from the contract",
        description="Findings are checked against the documented and the observed profile of --spec at once "
        "(known = the observed overlay describes it), so --profile does not change the result.",
    )
    add_contract_options(parser, overlay_alias=False)  # --overlay FILE is the proposal written here
    parser.add_argument(
        "directory", nargs="?", metavar="DIR", help="cassette folder (or file) to re-check offline"
    )
    parser.add_argument("--live", action="store_true", help="run the built-in probes against the live API")
    parser.add_argument(
        "--base-url",
        default=None,
        metavar="URL",
        help=f"live API root (default: ${BASE_URL_ENV}, else {DEFAULT_BASE_URL})",
    )
    parser.add_argument(
        "--cassette-dir",
        default=None,
        metavar="DIR",
        help=f"where --live records the probes' cassettes (default: {DEFAULT_PROBE_DIR})",
    )
    parser.add_argument("--report", default=None, metavar="FILE", help="write the JSON drift report here")
    parser.add_argument(
        "--overlay",
        default=None,
        metavar="FILE",
        help="write a proposed overlay for new drift here (it names the file to append accepted actions "
        "to: the last --contract-overlay); to add an overlay of your own, use --contract-overlay",
    )
    parser.add_argument(
        "--max-tokens",
        type=int,
        default=64,
        metavar="N",
        help="cost guard: max_tokens of every probe (default: 64)",
    )
    parser.add_argument(
        "--max-calls",
        type=int,
        default=50,
        metavar="N",
        help="cost guard: live calls, retries included (default: 50)",
    )
    parser.add_argument(
        "--retries", type=int, default=2, metavar="N", help="retries of a failing call (default: 2)"
    )
    parser.add_argument("--timeout", type=float, default=60.0, metavar="S", help="call timeout (default: 60)")
    parser.add_argument("--format", default="text", choices=("text", "json"))


def run(args: argparse.Namespace) -> int:
    # start-up cost: the library loads only when this command runs
    from contract_kit.drift import DriftChecker, DriftCollector  # start-up cost
    from contract_kit.errors import ConfigError  # start-up cost
    from contract_kit.redact import active  # start-up cost

    if args.live == bool(args.directory):
        raise ConfigError(
            "give either a cassette folder to re-check offline (contract-kit drift fixtures/cassettes) "
            "or --live to probe the live API, not both and not neither"
        )
    checker = DriftChecker.for_spec(args.spec, args.overlays)
    collector = DriftCollector()
    redactor = active()  # the key in the environment, even for an offline re-check
    if args.live:
        redactor, lines = _run_live(args, checker, collector)
    else:
        lines = _recheck(args, checker, collector)
    return _finish(args, checker, collector, redactor, lines)


def _recheck(args: argparse.Namespace, checker: DriftChecker, collector: DriftCollector) -> list[str]:
    from contract_kit.cassettes import list_cassettes  # start-up cost
    from contract_kit.drift import check_cassettes  # start-up cost
    from contract_kit.errors import CassetteError  # start-up cost

    root = Path(args.directory)
    if not root.exists():
        raise CassetteError("no such cassette file or folder", source=str(root))
    paths = list_cassettes(root)
    checked = check_cassettes(paths, checker, collector)
    return [f"re-checked {checked} interaction(s) in {len(paths)} cassette(s) under {root}, offline"]


def _run_live(
    args: argparse.Namespace, checker: DriftChecker, collector: DriftCollector
) -> tuple[Redactor, list[str]]:
    from contract_kit.drift import LiveProbeSettings, base_url_setting, run_live_probes  # start-up cost

    settings = LiveProbeSettings(
        base_url_setting(args.base_url, None),
        Path(args.cassette_dir or DEFAULT_PROBE_DIR),
        max_tokens=args.max_tokens,
        max_calls=args.max_calls,
        retries=args.retries,
        timeout=args.timeout,
    )
    progress = Progress()
    try:
        run = run_live_probes(
            settings,
            checker,
            collector,
            on_probe=lambda name, number, total: progress.update(
                f"probe {number}/{total}: {name}", force=True
            ),
        )
    finally:
        progress.clear()
    return run.redactor, run.lines


def _finish(
    args: argparse.Namespace,
    checker: DriftChecker,
    collector: DriftCollector,
    redactor: Redactor,
    lines: list[str],
) -> int:
    from contract_kit.drift import propose, render_table, write_json, write_overlay  # start-up cost
    from contract_kit.redact import scrub  # start-up cost

    report = collector.to_report(mode="live probes" if args.live else "offline re-check")
    if args.report:
        write_json(args.report, report, redactor, what="drift report")
        lines.append(f"drift report written to {args.report}")
    if args.overlay:
        overlay = propose(collector.sorted(), checker.observed, responses=collector.responses)
        if overlay is None:
            lines.append(
                f"no overlay proposed: no new drift that a schema can express ({args.overlay} not written)"
            )
        else:
            write_overlay(args.overlay, overlay, redactor)
            lines.append(f"proposed overlay ({len(overlay['actions'])} action(s)) written to {args.overlay}")
    if args.format == "json":
        print(scrub(json.dumps(report, indent=2, ensure_ascii=False, default=str)))
    else:
        print(scrub("\n".join([*lines, *render_table(collector)])))
    return EXIT_FINDINGS if collector.new_breaking() else EXIT_OK
