"""``python -m contract_kit``: the same as the ``contract-kit`` command."""

from contract_kit.cli import main

raise SystemExit(main())
