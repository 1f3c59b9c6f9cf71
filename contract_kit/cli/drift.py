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
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from contract_kit.cli._common import EXIT_FINDINGS, EXIT_OK, add_contract_options
from contract_kit.cli._progress import Progress

if TYPE_CHECKING:
    from contract_kit.drift import DriftChecker, DriftCollector, HypothesisBook
    from contract_kit.redact import Redactor

from contract_kit.defaults import BASE_URL_ENV, DEFAULT_BASE_URL, DEFAULT_LARGE_BYTES, DEFAULT_PROBE_DIR


def add_parser(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "drift",
        help="check the live API (--live) or recorded cassettes (DIR) for drift from the contract",
        description="Findings are checked against the documented and the observed profile of --spec at once "
        "(known = the observed overlay describes it), so --profile does not change the result.",
    )
    add_contract_options(parser, overlay_alias=False)  # --overlay FILE is the proposal written here
    parser.add_argument(
        "directory",
        nargs="*",
        metavar="DIR",
        help="cassette folder (or file) to re-check offline; or: diff OLD.json NEW.json",
    )
    parser.add_argument(
        "--baseline", default=None, metavar="FILE", help="drift-baseline.yaml: accepted findings"
    )
    parser.add_argument(
        "--write-baseline", default=None, metavar="FILE", help="write proposed baseline entries for new drift"
    )
    parser.add_argument("--html", default=None, metavar="FILE", help="write a self-contained HTML report")
    parser.add_argument("--junit", default=None, metavar="FILE", help="write a JUnit XML report")
    parser.add_argument("--summary", default=None, metavar="FILE", help="write a Markdown summary")
    parser.add_argument(
        "--probe-large",
        action="store_true",
        help="also send an oversized body (the 413 hypothesis; costs upload)",
    )
    parser.add_argument(
        "--probe-large-bytes", type=int, default=DEFAULT_LARGE_BYTES, metavar="N", help=argparse.SUPPRESS
    )
    parser.add_argument(
        "--backoff", type=float, default=1.0, metavar="S", help="first retry wait (default: 1)"
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
    from contract_kit.drift import (  # start-up cost
        DriftChecker,
        DriftCollector,
        HypothesisBook,
        every_expectation,
    )
    from contract_kit.errors import ConfigError  # start-up cost
    from contract_kit.redact import active  # start-up cost

    if args.directory[:1] == ["diff"]:
        return _diff(args.directory[1:])
    if len(args.directory) > 1 or args.live == bool(args.directory):
        raise ConfigError(
            "give either a cassette folder to re-check offline (contract-kit drift fixtures/cassettes) "
            "or --live to probe the live API, not both and not neither"
        )
    checker = DriftChecker.for_spec(args.spec, args.overlays)
    collector = DriftCollector()
    redactor = active()  # the key in the environment, even for an offline re-check
    hypotheses: list[dict[str, Any]] = []
    if args.live:
        redactor, lines, hypotheses = _run_live(args, checker, collector)
    else:
        book = HypothesisBook(checker, every_expectation(checker))
        lines = _recheck(args, checker, collector, book)
        hypotheses = book.verdicts() if book.seen_probes() else []
    return _finish(args, checker, collector, redactor, lines, hypotheses)


def _diff(paths: list[str]) -> int:
    from contract_kit.drift import diff_lines, diff_reports, load_report  # start-up cost
    from contract_kit.errors import ConfigError  # start-up cost

    if len(paths) != 2:
        raise ConfigError("usage: contract-kit drift diff OLD.json NEW.json (two --report files)")
    diff = diff_reports(load_report(paths[0]), load_report(paths[1]))
    print("\n".join(diff_lines(diff)))
    appeared = [f for f in diff["appeared"] if f.get("severity") == "breaking" and not f.get("known")]
    return EXIT_FINDINGS if appeared else EXIT_OK


def _recheck(
    args: argparse.Namespace, checker: DriftChecker, collector: DriftCollector, book: HypothesisBook
) -> list[str]:
    from contract_kit.cassettes import list_cassettes  # start-up cost
    from contract_kit.drift import check_cassettes  # start-up cost
    from contract_kit.errors import CassetteError  # start-up cost

    root = Path(args.directory[0])
    if not root.exists():
        raise CassetteError("no such cassette file or folder", source=str(root))
    try:
        paths = list_cassettes(root)
    except OSError as exc:
        raise CassetteError(f"cannot read the cassette folder ({exc.strerror})", source=str(root)) from None
    if not paths:
        raise CassetteError(
            "no cassette (*.yaml) here: record some first (pytest --contract-mode=record, or "
            "contract-kit drift --live --cassette-dir DIR), or check the path",
            source=str(root),
        )
    checked = check_cassettes(paths, checker, collector, book.review)
    return [f"re-checked {checked} interaction(s) in {len(paths)} cassette(s) under {root}, offline"]


def _run_live(
    args: argparse.Namespace, checker: DriftChecker, collector: DriftCollector
) -> tuple[Redactor, list[str], list[dict[str, Any]]]:
    from contract_kit.drift import (  # start-up cost
        HypothesisBook,
        LiveBudget,
        LiveProbeSettings,
        api_key_from_env,
        base_url_setting,
        run_hypothesis_probes,
        run_live_probes,
    )

    settings = LiveProbeSettings(
        base_url_setting(args.base_url, None),
        Path(args.cassette_dir or DEFAULT_PROBE_DIR),
        max_tokens=args.max_tokens,
        max_calls=args.max_calls,
        retries=args.retries,
        timeout=args.timeout,
        backoff=args.backoff,
    )
    budget = LiveBudget(settings.max_calls)
    book = HypothesisBook(checker)
    progress = Progress()
    try:
        run = run_live_probes(
            settings,
            checker,
            collector,
            on_probe=lambda name, number, total: progress.update(
                f"probe {number}/{total}: {name}", force=True
            ),
            budget=budget,
            review=book.review,
        )
        progress.update("probes of the error hypotheses", force=True)
        run.lines += run_hypothesis_probes(
            settings,
            checker,
            collector,
            book,
            key=api_key_from_env("drift --live"),
            budget=budget,
            redactor=run.redactor,
            large_bytes=args.probe_large_bytes if args.probe_large else None,
        )
    finally:
        progress.clear()
    return run.redactor, run.lines, book.verdicts()


def _finish(
    args: argparse.Namespace,
    checker: DriftChecker,
    collector: DriftCollector,
    redactor: Redactor,
    lines: list[str],
    hypotheses: list[dict[str, Any]],
) -> int:
    from contract_kit.drift import (  # start-up cost
        apply_baseline,
        dump_baseline,
        dump_overlay,
        load_baseline,
        propose,
        propose_baseline,
        render_table,
        write_baseline,
        write_overlay,
    )
    from contract_kit.redact import scrub  # start-up cost

    baseline_meta: dict[str, Any] = {}
    if args.baseline:
        result = apply_baseline(collector.sorted(), load_baseline(args.baseline))
        baseline_meta = {
            "file": args.baseline,
            "matched": result.matched,
            "expired": [e.to_dict() for e in result.expired],
            "unused": [e.to_dict() for e in result.unused],
        }
        lines.append(f"baseline {args.baseline}: {result.matched} finding(s) accepted")
        lines += [
            f"baseline entry EXPIRED on {e.expires}: {e.kind} at {e.path} ({e.where})" for e in result.expired
        ]
    report = collector.to_report(mode="live probes" if args.live else "offline re-check")
    if hypotheses:
        report["hypotheses"] = hypotheses
        lines += [
            f"hypothesis {h['id']}: {h['verdict']}"
            + (f" (seen instead: {'; '.join(h['seen_instead'][:3])})" if h["seen_instead"] else "")
            for h in hypotheses
        ]
    if baseline_meta:
        report["baseline"] = baseline_meta
    overlay = propose(collector.sorted(), checker.observed, responses=collector.responses)
    overlay_text = dump_overlay(overlay) if overlay is not None else None
    proposed = propose_baseline(collector.sorted())
    baseline_text = dump_baseline(proposed) if proposed["entries"] else None
    if args.overlay:
        if overlay is None:
            lines.append(
                f"no overlay proposed: no new drift that a schema can express ({args.overlay} not written)"
            )
        else:
            write_overlay(args.overlay, overlay, redactor)
            lines.append(f"proposed overlay ({len(overlay['actions'])} action(s)) written to {args.overlay}")
    if args.write_baseline:
        write_baseline(args.write_baseline, proposed, redactor)
        lines.append(
            f"proposed baseline ({len(proposed['entries'])} entry(ies)) written to {args.write_baseline}"
        )
    _write_reports(args, report, redactor, overlay_text, baseline_text, lines)
    if args.format == "json":
        print(scrub(json.dumps(report, indent=2, ensure_ascii=False, default=str)))
    else:
        print(scrub(redactor.text("\n".join([*lines, *render_table(collector)]))))
    return EXIT_FINDINGS if collector.new_breaking() else EXIT_OK


def _write_reports(
    args: argparse.Namespace,
    report: dict[str, Any],
    redactor: Redactor,
    overlay_text: str | None,
    baseline_text: str | None,
    lines: list[str],
) -> None:
    from contract_kit.drift import to_html, to_junit, to_markdown, write_json, write_text  # start-up cost

    if args.report:
        write_json(args.report, report, redactor, what="drift report")
        lines.append(f"drift report written to {args.report}")
    outputs: tuple[tuple[str | None, str, Callable[[], str]], ...] = (
        (args.html, "HTML report", lambda: to_html(report, overlay=overlay_text, baseline=baseline_text)),
        (args.junit, "JUnit report", lambda: to_junit(report)),
        (args.summary, "Markdown summary", lambda: to_markdown(report)),
    )
    for path, what, render in outputs:
        if path:
            write_text(path, render(), redactor, what=what)
            lines.append(f"{what} written to {path}")
