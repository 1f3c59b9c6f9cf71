"""Where the document serves its chat-completions operation: server URLs, their variables, the API root.

OpenAPI puts an operation under the operation's own ``servers``, else its path
item's, else the document's, else ``/``. A server URL may hold ``{variables}``
(Azure: ``https://{endpoint}/openai``); each expands to its ``default`` (OpenAPI
requires one), else its first ``enum`` value, else the placeholder host label
``<name>.invalid`` (RFC 2606: it never resolves, so a request the mock does not
route fails at once instead of reaching a real host). A server URL without a
host (``/``, ``/v1``) is relative to where the document is served, which a test
does not know: it is taken under the kit's default host (``https://api.aimlapi.com``).

The *API root* is what an OpenAI-style client takes as its base URL: the server
URL plus the operation path's part before ``/chat/completions`` when that part
is fixed (the bundled document's ``/v1``), or the server URL alone when it has a
path template (Azure's ``/deployments/{deployment-id}``, which the client fills).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from contract_kit.defaults import DEFAULT_BASE_URL

_TEMPLATE = re.compile(r"\{([^{}]*)\}")
_DEFAULT_ORIGIN = "{0.scheme}://{0.netloc}".format(urlsplit(DEFAULT_BASE_URL))
_OPERATION_TAIL = "/chat/completions"
PLACEHOLDER_SUFFIX = ".invalid"


@dataclass(frozen=True)
class ServerVariable:
    """One ``{name}`` of a server URL: its default and, when closed, the values it may take."""

    default: str | None
    enum: tuple[str, ...] = ()

    @property
    def value(self) -> str | None:
        """What the URL takes when nothing else is said: the default, else the first enum value."""
        return self.default if self.default is not None else next(iter(self.enum), None)


@dataclass(frozen=True)
class Server:
    """One server of the operation, as the document writes it (``https://{endpoint}/openai``)."""

    template: str
    variables: Mapping[str, ServerVariable] = field(default_factory=dict)

    @property
    def url(self) -> str:
        """The absolute URL, each variable at its default (a host-less URL under the kit's default host)."""
        expanded = _TEMPLATE.sub(lambda m: self._value(m.group(1)), self.template).rstrip("/")
        return expanded if "://" in expanded else _DEFAULT_ORIGIN + _rooted(expanded)

    @property
    def path_template(self) -> str:
        """The URL's path with its variables kept: ``/openai``, ``/{version}``, or ``""`` for the root."""
        return _rooted(_path_part(self.template)).rstrip("/")

    def _value(self, name: str) -> str:
        variable = self.variables.get(name)
        if variable is not None and variable.value is not None:
            return variable.value
        label = re.sub(r"[^a-z0-9-]+", "-", name.lower()).strip("-") or "server"
        return label + PLACEHOLDER_SUFFIX


def operation_servers(document: Mapping[str, Any], path: str) -> tuple[Server, ...]:
    """The servers of ``POST path``: the operation's, else the path item's, else the document's, else ``/``."""
    item = (document.get("paths") or {}).get(path) or {}
    for level in (item.get("post") or {}, item, document):
        found = tuple(_server(s) for s in level.get("servers") or [] if isinstance(s, Mapping))
        if found:
            return found
    return (Server("/"),)


def api_root_suffix(operation_path: str) -> str:
    """The fixed part of the operation path a client's base URL carries (``/v1``), ``""`` when templated."""
    head = operation_path.rstrip("/")
    head = head[: -len(_OPERATION_TAIL)] if head.endswith(_OPERATION_TAIL) else ""
    return "" if "{" in head else head


def fill_path(template: str, values: Mapping[str, str]) -> str:
    """``/deployments/{deployment-id}/x`` with each ``{name}`` replaced by ``values[name]`` (else ``name``)."""
    return _TEMPLATE.sub(lambda m: values.get(m.group(1), m.group(1)), template)


def _server(raw: Mapping[str, Any]) -> Server:
    declared = raw.get("variables")
    if not isinstance(declared, Mapping):
        declared = {}
    variables = {str(name): _variable(spec) for name, spec in declared.items() if isinstance(spec, Mapping)}
    return Server(str(raw.get("url") or "/"), variables)


def _variable(spec: Mapping[str, Any]) -> ServerVariable:
    enum = spec.get("enum")
    values: Sequence[Any] = enum if isinstance(enum, list) else []
    choices = tuple(str(v) for v in values)
    default = spec.get("default")
    return ServerVariable(None if default is None else str(default), choices)


def _path_part(template: str) -> str:
    """The path of a URL template, read as text: ``urlsplit`` cannot parse ``{protocol}://{host}``."""
    if "://" in template:
        rest = template.split("://", 1)[1]
        template = rest[rest.index("/") :] if "/" in rest else ""
    return template.split("?", 1)[0].split("#", 1)[0]


def _rooted(path: str) -> str:
    return path if path.startswith("/") or not path else "/" + path
