"""The web console: its page at `/`, its static files under `/web` (the repository's `web/`), and the read
endpoints it needs beyond the rest of `/v1`."""

from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

from api.headers import REDOC_POLICY
from api.routers import browse, glossary, inbox, kpis, me, network, plans, verdicts

WEB_DIR = Path(__file__).resolve().parents[2] / "web"

router = APIRouter(include_in_schema=False)


@router.get("/")
def console_page() -> FileResponse:
    """The console's single page; its scripts call the public `/v1` API with the key the user logs in with."""
    return FileResponse(WEB_DIR / "index.html", headers={"Cache-Control": "no-cache"})


@router.get("/docs")
def swagger_page() -> FileResponse:
    """Swagger UI over `/openapi.json`, from the vendored bundle (works offline, under the strict CSP)."""
    return FileResponse(WEB_DIR / "docs.html", headers={"Cache-Control": "no-cache"})


@router.get("/redoc")
def redoc_page() -> FileResponse:
    """ReDoc over `/openapi.json`, from the vendored bundle (its policy also allows inline styles)."""
    return FileResponse(
        WEB_DIR / "redoc.html", headers={"Cache-Control": "no-cache", "Content-Security-Policy": REDOC_POLICY}
    )


def install(app: FastAPI) -> None:
    """Serve the console at `/`, the API docs at `/docs` and `/redoc`, its files under `/web`, and its read
    endpoints."""
    app.state.inbox_cache = inbox.InboxCache()
    for read_router in (
        me.router,
        inbox.router,
        plans.router,
        verdicts.router,
        browse.router,
        network.router,
        kpis.router,
        glossary.router,
    ):
        app.include_router(read_router)
    app.include_router(router)
    app.mount("/web", StaticFiles(directory=WEB_DIR), name="web")
