"""The built web client (``bots/web/dist``) at ``/``.

Hashed files under /assets/ are cached for a year, index.html never; any other path without a
file extension is the app too (its own routes). The composition root (``loglens/run.py``)
says where the build is; the agent does not know where the clients live.
"""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

WEB_DIR = web.AppKey("web_dir", Path)
IMMUTABLE = "public, max-age=31536000, immutable"
NOT_BUILT = """<!doctype html><meta charset="utf-8"><title>loglens</title>
<p>The web client is not built yet. Run <code>make up</code> (it builds it), or
<code>cd bots/web && npm ci && npm run build</code>, then reload. The API is here:
<code>/health</code>, <code>/query</code>, <code>/ws/query</code>, <code>/logs</code>.</p>"""


def add_web_client(app: web.Application, web_dir: Path) -> None:
    """Serve the built app; registered last, so that every API route matches first."""
    app[WEB_DIR] = web_dir.resolve()
    app.router.add_get("/{path:.*}", get_app_file)


async def get_app_file(request: web.Request) -> web.StreamResponse:
    root = request.app[WEB_DIR]
    relative = request.match_info["path"]
    index = root / "index.html"
    if relative:
        candidate = (root / relative).resolve()
        if candidate.is_relative_to(root) and candidate.is_file():
            cache = IMMUTABLE if candidate.parent == root / "assets" else "no-cache"
            return web.FileResponse(candidate, headers={"Cache-Control": cache})
        if "." in relative.rsplit("/", 1)[-1]:  # a missing file, not one of the app's own pages
            raise web.HTTPNotFound()
    if not index.is_file():
        return web.Response(text=NOT_BUILT, content_type="text/html", status=503)
    return web.FileResponse(index, headers={"Cache-Control": "no-cache"})
