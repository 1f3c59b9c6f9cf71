"""The objects behind the ``chat_mock`` and ``chat_server`` fixtures.

Both wrap one :class:`MockService` (the shared engine and HTTP semantics), for one
contract or a :class:`~contract_kit.contract.ContractSet` (each model by its own document):
``ChatMock`` routes it in-process for httpx (respx) and the ``openai`` SDK
(httpx2 patch); ``ChatServer`` serves it over real HTTP on a loopback port for
any client. Scenarios are scripted the same way on both.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager
from types import TracebackType
from typing import TYPE_CHECKING, Any

from contract_kit.errors import MarkerError
from contract_kit.mock import scenarios as sc
from contract_kit.mock.rules import Rule
from contract_kit.mock.service import Call, MockService
from contract_kit.mock.transports.asgi import make_app
from contract_kit.mock.transports.inprocess import RoutedMock, routed
from contract_kit.mock.transports.server import BackgroundServer

if TYPE_CHECKING:
    from contract_kit.contract import Contract, ContractSet
    from contract_kit.mock.transports.server import BackgroundServer

MARKER_OPTIONS = ("seed", "require_auth", "base_urls", "scenarios", "clock", "check_answers")


class RuleBuilder:
    """``chat_mock.when(...)``: finish the rule with what it answers (each method adds the rule)."""

    def __init__(self, service: MockService, when: dict[str, Any], times: str, name: str) -> None:
        self._service, self._when, self._times, self._name = service, when, times, name

    def then(self, *scenarios: Any) -> Rule:
        """Answer with these scenarios combined (one outcome plus faults), as ``queue`` takes them."""
        rule = Rule(self._when, sc.parse_plan(list(scenarios)), times=self._times, name=self._name)
        return self._service.rules.add(rule)

    def reply(self, text: str, reasoning: str | None = None) -> Rule:
        """Answer with ``text``; ``{tool_result}`` in it quotes the tool result the rule matched."""
        return self.then(sc.reply(text, reasoning))

    def tool_call(self, name: str, arguments: dict[str, Any] | None = None) -> Rule:
        return self.then(sc.tool_call(name, arguments))

    def error(self, status: int, message: str | None = None, retry_after: float | None = None) -> Rule:
        return self.then(sc.error(status, message=message, retry_after=retry_after))

    def fault(self, *scenarios: Any) -> Rule:
        """A generated answer with faults: ``latency``, ``cut_stream``, ``malformed_chunk``."""
        return self.then(*scenarios)


class _Scripted:
    """Scenario scripting shared by the in-process and the served mock."""

    service: MockService

    def when(
        self,
        *,
        model: str | None = None,
        last_user: str | None = None,
        last_user_regex: str | None = None,
        tools: bool | None = None,
        tool_result: str | None = None,
        jsonpath: str | None = None,
        times: str = "always",
        name: str = "",
        strict: bool | None = None,
    ) -> RuleBuilder:
        """A reply rule matched on the request (all given matchers must hold); see ``mock/rules.py``.

        ``strict=True`` (for every rule of this mock): a request no rule matches gets a 400
        naming the closest rule, instead of the generated answer.
        """
        given = {
            "model": model,
            "last_user": last_user,
            "last_user_regex": last_user_regex,
            "tools": tools,
            "tool_result": tool_result,
            "jsonpath": jsonpath,
        }
        if strict is not None:
            self.service.rules.strict = strict
        return RuleBuilder(self.service, {k: v for k, v in given.items() if v is not None}, times, name)

    def assert_all_rules_used(self) -> None:
        """Fail naming each reply rule that never matched (call it at the end of a test)."""
        __tracebackhide__ = True
        unused = self.service.rules.unused()
        if unused:
            raise AssertionError("reply rules never used: " + "; ".join(rule.label for rule in unused))

    def queue(self, *plans: Any) -> _Scripted:
        """One plan per upcoming call, in order: a scenario, a list of scenarios, or their JSON form."""
        self.service.scenarios.enqueue(*plans)
        return self

    def always(self, *scenarios: Any) -> _Scripted:
        """Scenarios applied to every call until :meth:`reset` (e.g. ``latency(ttft=0.2)``)."""
        self.service.scenarios.set_default(*scenarios)
        return self

    def reply(self, text: str, reasoning: str | None = None) -> _Scripted:
        return self.queue(sc.reply(text, reasoning))

    def tool_call(self, name: str, arguments: dict[str, Any] | None = None) -> _Scripted:
        return self.queue(sc.tool_call(name, arguments))

    def refusal(self, text: str) -> _Scripted:
        return self.queue(sc.refusal(text))

    def error(self, status: int, message: str | None = None, retry_after: float | None = None) -> _Scripted:
        return self.queue(sc.error(status, message=message, retry_after=retry_after))

    def reset(self) -> None:
        """Forget queued scenarios (global and per session), the default, the reply rules and the calls."""
        self.service.reset()

    @property
    def calls(self) -> list[Call]:
        """Every call the mock answered, oldest first (request JSON, status, body or chunks)."""
        return self.service.calls

    @property
    def last_call(self) -> Call:
        calls = self.calls
        if not calls:
            raise AssertionError("the chat mock received no call")
        return calls[-1]


class ChatMock(_Scripted, AbstractContextManager["ChatMock"]):
    """The completions mock routed in-process for httpx and the ``openai`` SDK (through httpx2).

    ``base_urls`` defaults to every server of the document, as an API root
    (``Contract.api_roots``): ``https://api.aimlapi.com/v1`` for the bundled
    document, ``https://api.openai.com/v1`` for OpenAI's, and for Azure's
    ``https://{endpoint}/openai`` its default ``https://your-resource-name.openai.azure.com/openai``.
    A server variable with no default expands to ``<name>.invalid``; a server
    without a host (or none) is served under ``https://api.aimlapi.com``.
    """

    def __init__(
        self,
        contract: Contract | ContractSet,
        *,
        seed: int = 0,
        require_auth: bool = True,
        base_urls: str | Iterable[str] | None = None,
        scenarios: Sequence[Any] = (),
        clock: Callable[[], int] | int | None = None,
        check_answers: bool = True,
    ) -> None:
        self.contract = contract
        self.service = MockService(
            contract, seed=seed, require_auth=require_auth, clock=clock, check_answers=check_answers
        )
        if base_urls is None:
            base_urls = contract.api_roots
        self.base_urls = (base_urls,) if isinstance(base_urls, str) else tuple(base_urls)
        self.routed: RoutedMock | None = None
        self._routing: AbstractContextManager[RoutedMock] | None = None
        if scenarios:
            self.queue(*scenarios)

    @classmethod
    def from_options(
        cls, contract: Contract | ContractSet, *, default_seed: int = 0, **options: Any
    ) -> ChatMock:
        """Build from marker keyword arguments; an unknown keyword fails at once, naming the valid ones."""
        unknown = sorted(set(options) - set(MARKER_OPTIONS))
        if unknown:
            raise MarkerError(
                f"chat_mock got unknown option(s) {', '.join(map(repr, unknown))}; "
                f"valid: profile, {', '.join(MARKER_OPTIONS)}"
            )
        seed = options.pop("seed", None)
        return cls(contract, seed=default_seed if seed is None else int(seed), **options)

    def __enter__(self) -> ChatMock:
        self._routing = routed(self.service, self.base_urls)
        self.routed = self._routing.__enter__()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._routing is not None:
            self._routing.__exit__(exc_type, exc, tb)
        self._routing = None

    @property
    def base_url(self) -> str:
        """The first mocked base URL; give it to clients as ``base_url``."""
        return str(self.base_urls[0])


class ChatServer(_Scripted, AbstractContextManager["ChatServer"]):
    """The completions mock served over HTTP on a free loopback port."""

    def __init__(
        self,
        contract: Contract | ContractSet,
        *,
        seed: int = 0,
        require_auth: bool = True,
        host: str = "127.0.0.1",
        port: int = 0,
        clock: Callable[[], int] | int | None = None,
        check_answers: bool = True,
    ) -> None:

        self.contract = contract
        self.service = MockService(
            contract, seed=seed, require_auth=require_auth, clock=clock, check_answers=check_answers
        )
        self.server: BackgroundServer = BackgroundServer(
            make_app(self.service), host=host, port=port, base_path=contract.api_root_path
        )

    def __enter__(self) -> ChatServer:
        self.server.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.server.stop()

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT`` plus the document's API root path (``/v1``; Azure's ``/openai``):
        what an OpenAI-compatible client takes as its base URL (``AzureOpenAI`` takes :attr:`url`)."""
        return self.server.base_url

    @property
    def url(self) -> str:
        return self.server.url
