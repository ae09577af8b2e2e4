"""The agent's HTTP surface (aiohttp): ``app.py`` the query API, ``explorer.py`` and
``live_tail.py`` what the web client browses with, ``web_client.py`` the built app at ``/``."""
