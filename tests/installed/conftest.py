"""``user_project/`` is a team's own project, run by ``.ci/installed_smoke.sh`` against the installed wheel.

It is not part of the kit's own suite: its pytest.ini points at a document the
smoke script writes, and its cassette is recorded by the smoke itself.
"""

collect_ignore = ["user_project"]
