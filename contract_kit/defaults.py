"""One home for every constant the kit's layers share: closed sets, URLs, names, environment variables.

Kept free of heavy imports: the pytest plugin imports it at start-up. Closed
sets are ``str`` Enums, so a member compares equal to its value and pytest and
argparse take their ``choices`` from ``Enum.choices()``.
"""

from __future__ import annotations

from enum import Enum
from importlib.metadata import PackageNotFoundError, version

from contract_kit.errors import ConfigError


class Choice(str, Enum):
    """A closed set of setting values; ``parse`` echoes a bad value and lists the valid ones."""

    def __str__(self) -> str:
        return str(self.value)

    def __format__(self, spec: str) -> str:
        return format(str(self.value), spec)

    @classmethod
    def choices(cls) -> tuple[str, ...]:
        return tuple(str(member.value) for member in cls)

    @classmethod
    def parse(cls, value: object, *, setting: str) -> str:
        """The value as a plain string, or a ConfigError naming the setting and the choices."""
        text = str(value)
        if text not in cls.choices():
            raise ConfigError(
                f"{value!r} is not a valid {setting}. Valid values are: {', '.join(cls.choices())}."
            )
        return text


class Profile(Choice):
    """Which overlays make the effective contract: the document alone (plus repairs), or what was observed."""

    DOCUMENTED = "documented"
    OBSERVED = "observed"


class SseStyle(Choice):
    """How an exported document describes the event stream (see ``contract/sse_style.py``)."""

    VENDOR = "vendor"  # the media type's schema is the chunk schema, as the vendor writes it
    OAS32 = "3.2"  # the schema is one event; ``data`` carries the chunk schema as JSON content


class Mode(Choice):
    """What a cassette-using test does with the network."""

    REPLAY = "replay"
    RECORD = "record"
    ONCE = "once"
    LIVE = "live"


class DriftPolicy(Choice):
    """What new breaking drift does to a run."""

    FAIL = "fail"
    WARN = "warn"
    OFF = "off"


PROFILES: tuple[str, ...] = Profile.choices()
DEFAULT_PROFILE: str = Profile.OBSERVED.value
MODES: tuple[str, ...] = Mode.choices()
LIVE_MODES: tuple[str, ...] = (Mode.RECORD.value, Mode.ONCE.value, Mode.LIVE.value)
DEFAULT_MODE: str = Mode.REPLAY.value
DRIFT_POLICIES: tuple[str, ...] = DriftPolicy.choices()
DEFAULT_DRIFT_POLICY: str = DriftPolicy.FAIL.value

DEFAULT_BASE_URL = "https://api.aimlapi.com/v1"
"""The vendor's API root; the chat-completions path is appended to it."""
API_KEY_ENV = "AIMLAPI_API_KEY"
BASE_URL_ENV = "AIMLAPI_BASE_URL"
CACHE_DIR_ENV = "CONTRACT_KIT_CACHE_DIR"
"""Where parsed cassettes are cached (default: ``$XDG_CACHE_HOME/contract-kit``); ``off`` disables it."""
DEFAULT_MODEL = "alibaba/qwen3-vl-32b-thinking"
"""The model of the bundled document, used when a request names none."""
DEFAULT_CASSETTE_DIR = "fixtures/cassettes"
DEFAULT_PROBE_DIR = "fixtures/cassettes/probes"
DEFAULT_LARGE_BYTES = 32 * 1024 * 1024
"""The body size of the ``oversized`` probe (``drift --live --probe-large``): past any gateway's limit."""
"""Where ``contract-kit drift --live`` records its probes' cassettes."""
JSON_TYPE = "application/json"
SSE_TYPE = "text/event-stream"
"""The two media types of the endpoint's answers: a JSON body, or a server-sent event stream."""


def kit_version() -> str:
    """The installed distribution's version, for cassette metadata; read on demand to keep start-up cheap."""

    try:
        return version("contract-kit")
    except PackageNotFoundError:
        return "0+unknown"
