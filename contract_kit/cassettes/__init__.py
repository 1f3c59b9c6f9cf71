"""Recorded interactions: the cassette model, its YAML format, the files, request matching and replay.

Sits above the mock (replay answers through the same ``Handler`` interface)
and below drift, which checks what cassettes hold.
"""

from contract_kit.cassettes.cache import default_cache_dir, load_cassette_cached
from contract_kit.cassettes.faults import FAULTS, FaultedReplay, StreamFault, split_events, stream_faults
from contract_kit.cassettes.files import (
    atomic_write_text,
    cassette_name,
    cassette_owner,
    cassette_path,
    list_cassettes,
    own_cassette_path,
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
    "FAULTS",
    "Cassette",
    "FaultedReplay",
    "Interaction",
    "Matcher",
    "Read",
    "RecordedRequest",
    "RecordedResponse",
    "ReplayHandler",
    "StreamFault",
    "atomic_write_text",
    "cassette_name",
    "cassette_owner",
    "cassette_path",
    "default_cache_dir",
    "detect_style",
    "dump_cassette",
    "events_of",
    "headers_of",
    "list_cassettes",
    "load_cassette",
    "load_cassette_cached",
    "own_cassette_path",
    "parse_cassette",
    "parse_ignore",
    "replay_handler_for_dir",
    "split_events",
    "stream_faults",
    "write_cassette",
]
