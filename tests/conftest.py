"""Shared test helpers live beside this file (``standin.py``); this conftest puts them on ``sys.path``.

Under pytest's default import mode a conftest's folder is prepended to
``sys.path``, so every test folder can ``from standin import ...``.
"""
