"""The drift baseline: findings a team decided to live with, that no overlay can express.

Stream framing, stream invariants and semantic findings cannot be accepted
with an overlay. ``drift-baseline.yaml`` (in the team's repository; CLI
``--baseline``, pytest ``--contract-drift-baseline``) lists them::

    version: 1
    entries:
      - kind: stream-framing
        path: $
        where: stream
        status: "200"             # optional: every status when absent
        reason: the vendor drops [DONE]; our client stops at finish_reason (ticket 123)
        expires: 2027-03-01       # optional: after this day the finding is new again

An entry matches a finding by kind, path and where (and status, when given).
A matched finding is ``known`` and carries ``baseline: <reason>``. An entry
whose ``expires`` date has passed matches nothing, so its findings come back
as new; the run lists it as expired. ``--write-baseline FILE`` proposes one
entry per new finding (reason to fill in, expiry in 90 days).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from contract_kit.drift.findings import Finding
from contract_kit.drift.report import write_text
from contract_kit.errors import ConfigError
from contract_kit.redact import Redactor

BASELINE_VERSION = 1
PROPOSED_DAYS = 90
TODO_REASON = "TODO: say why the team accepts this finding"


@dataclass(frozen=True)
class BaselineEntry:
    kind: str
    path: str
    where: str
    reason: str
    status: str | None = None
    expires: datetime.date | None = None

    def expired(self, today: datetime.date) -> bool:
        return self.expires is not None and self.expires < today

    def matches(self, finding: Finding) -> bool:
        return (self.kind, self.path, self.where) == (finding.kind, finding.path, finding.where) and (
            self.status is None or self.status == finding.status
        )

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"kind": self.kind, "path": self.path, "where": self.where}
        if self.status is not None:
            data["status"] = self.status
        data["reason"] = self.reason
        if self.expires is not None:
            data["expires"] = self.expires.isoformat()
        return data


@dataclass(frozen=True)
class BaselineResult:
    matched: int
    expired: list[BaselineEntry]
    unused: list[BaselineEntry]


def load_baseline(path: str | Path) -> list[BaselineEntry]:
    """The entries of a baseline file; ``ConfigError`` naming the file and entry when it is malformed."""
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path}: cannot read the drift baseline ({exc})") from None
    entries = data.get("entries") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise ConfigError(f"{path}: a drift baseline needs a top-level 'entries' list (see README)")
    return [_entry(path, index, raw) for index, raw in enumerate(entries)]


def _entry(path: str | Path, index: int, raw: Any) -> BaselineEntry:
    where = f"{path}: entries[{index}]"
    if not isinstance(raw, Mapping):
        raise ConfigError(f"{where} is not a mapping")
    missing = [k for k in ("kind", "path", "where", "reason") if not isinstance(raw.get(k), str)]
    if missing:
        raise ConfigError(
            f"{where} needs {', '.join(missing)} (strings); every entry says why it is accepted"
        )
    expires = raw.get("expires")
    if isinstance(expires, str):
        try:
            expires = datetime.date.fromisoformat(expires)
        except ValueError:
            raise ConfigError(f"{where}: expires {expires!r} is not a YYYY-MM-DD date") from None
    if expires is not None and not isinstance(expires, datetime.date):
        raise ConfigError(f"{where}: expires must be a YYYY-MM-DD date")
    status = raw.get("status")
    return BaselineEntry(
        raw["kind"],
        raw["path"],
        raw["where"],
        raw["reason"],
        None if status is None else str(status),
        expires,
    )


def apply_baseline(
    findings: Iterable[Finding], entries: list[BaselineEntry], today: datetime.date | None = None
) -> BaselineResult:
    """Mark the findings a live entry matches as known (``baseline`` = its reason)."""
    today = today or datetime.date.today()
    live = [e for e in entries if not e.expired(today)]
    used: set[int] = set()
    matched = 0
    for finding in findings:
        for index, entry in enumerate(live):
            if entry.matches(finding):
                finding.known, finding.baseline = True, entry.reason
                used.add(index)
                matched += 1
                break
    unused = [e for i, e in enumerate(live) if i not in used]
    return BaselineResult(matched, [e for e in entries if e.expired(today)], unused)


def propose_baseline(findings: Iterable[Finding], today: datetime.date | None = None) -> dict[str, Any]:
    """Baseline entries for every new finding, to review like a proposed overlay."""
    expires = (today or datetime.date.today()) + datetime.timedelta(days=PROPOSED_DAYS)
    entries = [
        BaselineEntry(f.kind, f.path, f.where, TODO_REASON, f.status, expires).to_dict()
        for f in findings
        if not f.known
    ]
    return {"version": BASELINE_VERSION, "entries": entries}


def dump_baseline(baseline: Mapping[str, Any]) -> str:
    """The baseline as the YAML a team commits (and the HTML report shows)."""
    return yaml.safe_dump(dict(baseline), sort_keys=False, allow_unicode=True, width=110)


def write_baseline(path: str | Path, baseline: Mapping[str, Any], redactor: Redactor | None = None) -> Path:
    return write_text(path, dump_baseline(baseline), redactor, what="proposed baseline")
