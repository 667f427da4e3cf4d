"""Jinja2 set-up for the server-rendered pages, with the i18n catalogue in every template."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.templating import Jinja2Templates
from starlette.responses import Response

from server.i18n import negotiate, translator

templates = Jinja2Templates(directory=str(Path(__file__).resolve().parent.parent / "templates"))


def page_language(request: Request) -> str:
    """The page's language: ``?lang=`` first, then Accept-Language, else Danish."""
    return negotiate(request.headers.get("accept-language"), request.query_params.get("lang"))


def render(
    request: Request, name: str, context: dict[str, Any] | None = None, status_code: int = 200
) -> Response:
    language = page_language(request)
    full = {"t": translator(language), "lang": language, **(context or {})}
    return templates.TemplateResponse(request, name, full, status_code=status_code)
