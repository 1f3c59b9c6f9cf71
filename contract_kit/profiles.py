"""Profile names, in a module light enough for the pytest plugin to import at start-up."""

PROFILES: tuple[str, ...] = ("documented", "observed")
DEFAULT_PROFILE = "observed"
DEFAULT_BASE_URL = "https://api.aimlapi.com/v1"
