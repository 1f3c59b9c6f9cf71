"""The pytest plugin: ``plugin`` is the thin wiring pytest loads (entry point ``contract_kit``).

This package's ``__init__`` imports nothing, so loading the entry point stays
cheap for runs that never use the kit. ``session`` and ``recorder`` hold the
record / replay / drift machinery the hooks call into; ``suite_tests`` is the
contract suite as pytest tests (``--pyargs contract_kit.plugin.suite_tests``).
"""

__all__: list[str] = []
