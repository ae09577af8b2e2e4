"""The clients of the read side: the Slack bot (``slack/``) and the web client (``web/``, Svelte)."""

from pathlib import Path

# The web client's production build (``make up`` and ``npm run build`` write it).
WEB_CLIENT_DIST = Path(__file__).resolve().parent / "web" / "dist"
