"""The server's own plain pages (a screen that cannot be served, and why), in the site's
languages, with the same look as the screens: large type, AAA contrast, no script."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse

from kiosk.config import Settings
from kiosk.i18n import t


def page(request: Request, settings: Settings, key: str, *, status: int = 200,
         values: dict[str, Any] | None = None, retry: bool = False) -> HTMLResponse:
    """A page saying the catalogue message `key` in every site language; `retry`: it
    loads itself again every 10 s (a screen waiting for a free place)."""
    values = values or {}
    langs = settings.site.languages
    lines = [t(lang, key, **values) for lang in langs]
    if values.get("known"):
        lines += [t(lang, "web.configured", known=values["known"]) for lang in langs]
    return request.app.state.templates.TemplateResponse(
        request, "message.html",
        {"title": settings.site.name, "lines": list(dict.fromkeys(lines)), "lang": langs[0],
         "retry": retry},
        status_code=status)
