"""The database every side shares: which PostgreSQL (``server.py``: yours, or the embedded one of
``embedded.py``) and its schema (``migrate.py``, ``migrations/``)."""
