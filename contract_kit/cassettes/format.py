"""Cassettes to YAML text and back: dumping for review, loading with one error that names file and line.

Every field is checked by type before use, so a hand-edited or corrupted
cassette gives ``CassetteError`` (a ``ValueError``) whose location is the line
of the offending node, found by composing the YAML again only on the error
path. Nothing else escapes: the loader is fuzzed with random and mutated
files (``tests/hardening/test_fuzz.py``). Checks across fields: ``events`` must be what
``reads`` decode to, and a JSON ``body`` kept with its ``text`` must parse
to the same value.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

from contract_kit._files import load_yaml
from contract_kit.cassettes.model import (
    FORMAT_VERSION,
    HEADER_COMMENT,
    STYLES,
    Cassette,
    Interaction,
    Read,
    RecordedRequest,
    RecordedResponse,
    check_style,
    events_of,
)
from contract_kit.errors import CassetteError
from contract_kit.redact import Redactor

# --- to text ------------------------------------------------------------------------------------


class _Flow(dict):  # type: ignore[type-arg]
    """A mapping emitted on one line (``{a: 1, b: [2]}``): one stream event per line in a diff."""


class _Dumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):  # type: ignore[misc]
    """The C emitter when PyYAML has it (several times faster), with the kit's representers.

    Never anchors and aliases: the loader refuses them in cassettes (alias bombs), so a body object
    shared by two interactions is written out twice.
    """

    def ignore_aliases(self, data: object) -> bool:
        return True


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = "|" if "\n" in value and "\r" not in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _represent_str)
_Dumper.add_representer(
    _Flow, lambda d, v: d.represent_mapping("tag:yaml.org,2002:map", v.items(), flow_style=True)
)


def _bytes_field(data: bytes) -> dict[str, str]:
    try:
        return {"text": data.decode("utf-8")}
    except UnicodeDecodeError:
        return {"base64": base64.b64encode(data).decode("ascii")}


def request_to_dict(request: RecordedRequest) -> dict[str, Any]:
    out: dict[str, Any] = {"method": request.method, "path": request.path, "headers": dict(request.headers)}
    if request.raw is not None:
        out.update(_bytes_field(request.raw))
    elif request.body is not None:
        out["body"] = request.body
    return out


def response_to_dict(response: RecordedResponse) -> dict[str, Any]:
    out: dict[str, Any] = {"status": response.status, "headers": dict(response.headers)}
    if response.elapsed:
        out["elapsed"] = round(response.elapsed, 4)
    if response.cut:
        out["cut"] = True
    if response.events is not None:
        out["events"] = [_Flow(event) if isinstance(event, dict) else event for event in response.events]
    if response.reads is not None:
        out["reads"] = [{"at": round(read.at, 4), **_bytes_field(read.data)} for read in response.reads]
        return out
    if response.body is not None:
        out["body"] = response.body
        if response.raw is None:
            out["body_style"] = response.body_style or "compact"
    if response.raw is not None:
        out.update(_bytes_field(response.raw))
    return out


def cassette_to_dict(cassette: Cassette) -> dict[str, Any]:
    interactions = []
    for item in cassette.interactions:
        entry: dict[str, Any] = {}
        if item.test and item.test != cassette.name:
            entry["test"] = item.test
        entry["request"] = request_to_dict(item.request)
        entry["response"] = response_to_dict(item.response)
        interactions.append(entry)
    return {
        "version": FORMAT_VERSION,
        "name": cassette.name,
        **cassette.meta,
        "count": len(interactions),
        "interactions": interactions,
        "complete": True,
    }


def dump_cassette(cassette: Cassette, redactor: Redactor | None = None, *, source: str = "<cassette>") -> str:
    """The YAML text of a cassette; with a redactor, refuses (``SecretLeakError``) text holding the key."""
    text = HEADER_COMMENT + yaml.dump(
        cassette_to_dict(cassette), Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=2**31 - 1
    )
    if redactor is not None:
        redactor.check_text(text, what="cassette", source=source)
        for item in cassette.interactions:  # a key split across two reads is not literal in the text
            redactor.check_text(
                item.response.body_bytes().decode("utf-8", "replace"), what="cassette", source=source
            )
    return text


# --- from text ----------------------------------------------------------------------------------


def load_cassette(path: str | Path) -> Cassette:
    """Read and check a cassette file; any problem is one ``CassetteError`` naming file and line."""
    source = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CassetteError("the file does not exist", source=source) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise CassetteError(f"cannot read the cassette ({exc})", source=source) from None
    cassette = parse_cassette(text, source)
    cassette.path = Path(path)
    return cassette


def parse_cassette(text: str, source: str = "<cassette>") -> Cassette:
    """Check cassette text; ``source`` names it in errors."""
    try:
        data = load_yaml(text, source, CassetteError, aliases=False)  # the kit writes no aliases
    except CassetteError:
        raise
    except yaml.YAMLError as exc:
        raise _yaml_error(exc, source) from None
    except (ValueError, TypeError, LookupError, AttributeError, RecursionError) as exc:
        # PyYAML's constructors raise these for explicitly tagged nonsense (!!bool maybe, !!timestamp x)
        raise CassetteError(
            f"malformed YAML: a value cannot be read ({type(exc).__name__}: {exc}); fix the file "
            "or delete it and record again",
            source=source,
        ) from None
    try:
        return _Parser(source).cassette(data)
    except _Problem as problem:
        raise CassetteError(
            f"{problem.message}; fix the file or delete it and record again",
            source=source,
            location=_locate(text, problem.path),
        ) from None
    except (TypeError, ValueError, AttributeError, RecursionError) as exc:  # a shape no check above foresaw
        raise CassetteError(
            f"not a cassette this kit can read ({type(exc).__name__}: {exc}); fix the file or "
            "delete it and record again",
            source=source,
        ) from None


def _yaml_error(exc: yaml.YAMLError, source: str) -> CassetteError:
    mark = getattr(exc, "problem_mark", None)
    where = f"line {mark.line + 1}, column {mark.column + 1}" if mark is not None else None
    problem = getattr(exc, "problem", None) or str(exc)
    return CassetteError(
        f"malformed YAML: {problem}; fix the file or delete it and record again",
        source=source,
        location=where,
    )


_FRAME = ("count", "complete")  # written around the interactions so a truncated file is noticed


class _Problem(Exception):
    def __init__(self, path: tuple[str | int, ...], message: str) -> None:
        super().__init__(message)
        self.path = path
        self.message = message


class _Parser:
    """Checks the loaded structure field by field; a ``_Problem`` carries the path to locate."""

    def __init__(self, source: str) -> None:
        self.source = source

    def cassette(self, data: Any) -> Cassette:
        if not isinstance(data, dict):
            raise _Problem((), "a cassette must be a mapping with version, name and interactions")
        version = data.get("version")
        if version != FORMAT_VERSION:
            hint = "upgrade contract-kit or record again" if isinstance(version, int) else "add 'version: 1'"
            raise _Problem(
                ("version",),
                f"unsupported cassette version {version!r} (this kit reads {FORMAT_VERSION}); {hint}",
            )
        items = data.get("interactions")
        if not isinstance(items, list):
            raise _Problem(("interactions",), "'interactions' must be a list")
        meta = {k: v for k, v in data.items() if k not in ("version", "name", "interactions", *_FRAME)}
        self.complete(data, len(items))
        interactions = [self.interaction(item, ("interactions", i)) for i, item in enumerate(items)]
        return Cassette(str(data.get("name", "")), interactions, meta)

    def complete(self, data: dict[str, Any], held: int) -> None:
        """A file the kit wrote says how many interactions it holds and ends in ``complete: true``."""
        if "count" not in data and "complete" not in data:
            return  # written by hand
        if data.get("complete") is not True or data.get("count") != held:
            raise _Problem(
                ("interactions",),
                f"the file is truncated: its header says {data.get('count')!r} interaction(s), it holds "
                f"{held}{'' if data.get('complete') is True else ' and it lacks the final complete: true'}",
            )

    def interaction(self, item: Any, path: tuple[str | int, ...]) -> Interaction:
        self.mapping(item, path, "an interaction")
        test = item.get("test")
        return Interaction(
            self.request(item.get("request"), (*path, "request")),
            self.response(item.get("response"), (*path, "response")),
            str(test) if test is not None else None,
        )

    def mapping(self, value: Any, path: tuple[str | int, ...], what: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise _Problem(path, f"{what} must be a mapping, got {type(value).__name__}")
        return value

    def headers(self, value: Any, path: tuple[str | int, ...]) -> dict[str, str]:
        if value is None:
            return {}
        self.mapping(value, path, "headers")
        return {str(k).lower(): str(v) for k, v in value.items()}

    def raw(self, data: dict[str, Any], path: tuple[str | int, ...]) -> bytes | None:
        if "text" in data:
            if not isinstance(data["text"], str):
                raise _Problem((*path, "text"), "'text' must be a string")
            return bytes(data["text"].encode("utf-8"))
        if "base64" in data:
            try:
                return base64.b64decode(str(data["base64"]), validate=True)
            except (binascii.Error, ValueError):
                raise _Problem((*path, "base64"), "'base64' is not valid base64") from None
        return None

    def request(self, value: Any, path: tuple[str | int, ...]) -> RecordedRequest:
        data = self.mapping(value, path, "'request'")
        method, target = data.get("method"), data.get("path")
        if not isinstance(method, str) or not isinstance(target, str) or not target.startswith("/"):
            raise _Problem(path, "a request needs 'method' (e.g. POST) and 'path' (starting with /)")
        return RecordedRequest(
            method.upper(),
            target,
            self.headers(data.get("headers"), (*path, "headers")),
            data.get("body"),
            self.raw(data, path),
        )

    def response(self, value: Any, path: tuple[str | int, ...]) -> RecordedResponse:
        data = self.mapping(value, path, "'response'")
        status = data.get("status")
        if not isinstance(status, int) or isinstance(status, bool) or not 100 <= status <= 599:
            raise _Problem((*path, "status"), f"'status' must be an HTTP status code, got {status!r}")
        elapsed = _seconds(data.get("elapsed") or 0.0)
        if elapsed is None:
            raise _Problem(
                (*path, "elapsed"), f"'elapsed' must be a number of seconds >= 0, got {data.get('elapsed')!r}"
            )
        response = RecordedResponse(
            status,
            self.headers(data.get("headers"), (*path, "headers")),
            data.get("body"),
            data.get("body_style"),
            self.raw(data, path),
            cut=data.get("cut") is True,
            elapsed=float(elapsed),
        )
        if response.body_style is not None:
            try:
                check_style(str(response.body_style))
            except ValueError:
                raise _Problem(
                    (*path, "body_style"),
                    f"unknown body_style {response.body_style!r}; "
                    f"use one of {', '.join(STYLES)} (optionally with -ascii, -nl)",
                ) from None
        if "events" in data:
            if not isinstance(data["events"], list):
                raise _Problem((*path, "events"), "'events' must be a list")
            response.events = list(data["events"])
        if "reads" in data:
            response.reads = self.reads(data["reads"], (*path, "reads"))
            if response.events is not None and events_of(response.body_bytes()) != response.events:
                raise _Problem(
                    (*path, "events"),
                    "'events' and 'reads' disagree (edit both, or delete "
                    "'reads' to replay the events as written)",
                )
        if response.raw is not None and response.body is not None:
            try:
                same = json.loads(response.raw) == response.body
            except ValueError:
                same = False
            if not same:
                raise _Problem((*path, "body"), "'body' and 'text' disagree; keep one of them")
        return response

    def reads(self, value: Any, path: tuple[str | int, ...]) -> list[Read]:
        if not isinstance(value, list):
            raise _Problem(path, "'reads' must be a list of {at, text} or {at, base64}")
        reads = []
        for index, item in enumerate(value):
            entry = self.mapping(item, (*path, index), "a read")
            data = self.raw(entry, (*path, index))
            at = _seconds(entry.get("at", 0.0))
            if data is None or at is None:
                raise _Problem((*path, index), "a read needs 'at' (seconds >= 0) and 'text' or 'base64'")
            reads.append(Read(at, data))
        return reads


def _seconds(value: Any) -> float | None:
    """A finite, non-negative number of seconds (``.inf``, ``.nan`` and ``-1`` are not), else ``None``."""
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return None
    try:
        seconds = float(value)
    except OverflowError:  # an int too large for a float
        return None
    return seconds if math.isfinite(seconds) and seconds >= 0 else None


def _locate(text: str, path: Iterable[str | int]) -> str | None:
    """The line of the deepest node on ``path`` that exists (composed only on the error path)."""
    try:
        node: Any = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return None
    if node is None:
        return "line 1"
    for part in path:
        child = None
        if isinstance(node, yaml.MappingNode):
            child = next((v for k, v in node.value if k.value == str(part)), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            child = node.value[part]
        if child is None:
            break
        node = child
    return f"line {node.start_mark.line + 1}"
