"""The mock completions endpoint: a pure engine plus one adapter per transport."""
