"""Recorded interactions: the cassette model, its YAML format, the files, request matching and replay.

Sits above the mock (replay answers through the same ``Handler`` interface)
and below drift, which checks what cassettes hold.
"""

from contract_kit.cassettes.cache import default_cache_dir, load_cassette_cached
from contract_kit.cassettes.files import (
    atomic_write_text,
    cassette_name,
    cassette_path,
    list_cassettes,
    write_cassette,
)
from contract_kit.cassettes.format import dump_cassette, load_cassette, parse_cassette
from contract_kit.cassettes.matching import DEFAULT_IGNORE, Matcher, parse_ignore
from contract_kit.cassettes.model import (
    Cassette,
    Interaction,
    Read,
    RecordedRequest,
    RecordedResponse,
    detect_style,
    events_of,
    headers_of,
)
from contract_kit.cassettes.replay import ReplayHandler, replay_handler_for_dir

__all__ = [
    "DEFAULT_IGNORE",
    "Cassette",
    "Interaction",
    "Matcher",
    "Read",
    "RecordedRequest",
    "RecordedResponse",
    "ReplayHandler",
    "atomic_write_text",
    "cassette_name",
    "cassette_path",
    "default_cache_dir",
    "detect_style",
    "dump_cassette",
    "events_of",
    "headers_of",
    "list_cassettes",
    "load_cassette",
    "load_cassette_cached",
    "parse_cassette",
    "parse_ignore",
    "replay_handler_for_dir",
    "write_cassette",
]
