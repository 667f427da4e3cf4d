"""The FastAPI application factory. Routes stay thin: they call the framework-free core."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.responses import HTMLResponse

from server.config import Settings

__all__ = ["create_app"]


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    app = FastAPI(
        title="PPJ — prehospital patient record",
        version="0.1.0",
        description="Sync, dispatch, ED board and messaging API of the open prehospital patient record.",
    )
    app.state.settings = settings

    @app.get("/health", tags=["meta"])
    def health() -> dict[str, Any]:
        """Liveness: the process answers. Carries no patient data."""
        return {"status": "ok", "environment": settings.environment.value}

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def index() -> str:
        return (
            "<!doctype html><html lang=da><meta charset=utf-8><title>PPJ</title>"
            "<h1>PPJ — præhospital patientjournal</h1>"
            "<p>Server kører. <a href=/docs>API-dokumentation</a> · <a href=/health>Status</a></p>"
        )

    return app
