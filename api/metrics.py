"""Prometheus metrics of one app instance: decisions, open work, request latency and desk errors."""

from time import perf_counter
from typing import Annotated, get_args

from fastapi import APIRouter, Depends, FastAPI, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from sqlalchemy import func, select
from sqlmodel import col
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from agents.schemas import Decision, Specialist
from api.deps import SessionDep
from twin import models as m
from twin import store
from twin.quality import Reason

router = APIRouter(tags=["metrics"])


class Metrics:
    """The instruments of one app, on a registry of its own."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.decisions = Counter(
            "yardmaster_decisions",
            "Decisions the desk returned, by the status they reached.",
            ["status", "specialist"],
            registry=self.registry,
        )
        self.desk_errors = Counter(
            "yardmaster_desk_errors",
            "Unexpected errors of the desk and its tools.",
            ["operation", "error"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "yardmaster_request_duration_seconds",
            "HTTP request latency by route.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.sweep_items = Counter(
            "yardmaster_sweep_items",
            "Items the recovery sweep handled, by outcome (`errors`: an item that failed, the rest went on).",
            ["outcome"],
            registry=self.registry,
        )
        self.open_exceptions = Gauge(
            "yardmaster_open_exceptions", "Exceptions still open, read from the database.", registry=self.registry
        )
        self.chat_answers = Counter(
            "yardmaster_chat_answers",
            "Chat answers by model and check outcome: `verified`, "
            "or `template_fallback` when the written answer failed the verifier.",
            ["model", "outcome"],
            registry=self.registry,
        )
        self.data_quality = Counter(
            "yardmaster_data_quality",
            "Records the ingestion gate refused or skipped, by intake (`events`, `exceptions`) and reason: `schema`, "
            "`range`, `null`, `late`, `reference` (an unknown code) refuse the request with a 422 naming the field; "
            "`duplicate` counts replays answered without applying them again and conflicting duplicates refused.",
            ["intake", "reason"],
            registry=self.registry,
        )
        self.pending_approvals = Gauge(
            "yardmaster_pending_approvals",
            "Decisions waiting for a person, by specialist, read from the database.",
            ["specialist"],
            registry=self.registry,
        )

    def count_decision(self, decision: Decision) -> None:
        """Count a decision the desk returned."""
        self.decisions.labels(decision.status, decision.specialist or "none").inc()

    def count_sweep(self, done: dict[str, int]) -> None:
        """Count what one sweep did, item by item."""
        for outcome, count in done.items():
            self.sweep_items.labels(outcome).inc(count)

    def count_chat_answer(self, model: str, verified: bool) -> None:
        """Count a chat answer and whether it passed the verifier."""
        self.chat_answers.labels(model, "verified" if verified else "template_fallback").inc()

    def count_quality(self, intake: str, reason: Reason, count: int = 1) -> None:
        """Count records of an intake the data-quality gate refused or skipped for a reason."""
        if count:
            self.data_quality.labels(intake, reason).inc(count)

    def count_error(self, operation: str, error: BaseException) -> None:
        """Count an unexpected desk error."""
        self.desk_errors.labels(operation, type(error).__name__).inc()


class RequestTimer:
    """ASGI middleware observing each HTTP request's latency under its route template."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Time the request and label it with the matched route (or `unmatched`)."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started, status = perf_counter(), 500

        async def sending(message: Message) -> None:
            """Note the response status on its way out."""
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            route = getattr(scope.get("route"), "path", "unmatched")
            self.metrics.latency.labels(scope["method"], route, str(status)).observe(perf_counter() - started)


def instrument(app: FastAPI) -> None:
    """Give the app its metrics, the request timer and the `/metrics` route."""
    app.state.metrics = Metrics()
    app.add_middleware(RequestTimer, metrics=app.state.metrics)
    app.include_router(router)


def get_metrics(request: Request) -> Metrics:
    """The app's metrics."""
    return request.app.state.metrics


MetricsDep = Annotated[Metrics, Depends(get_metrics)]


@router.get(
    "/metrics",
    response_class=Response,
    responses={200: {"content": {CONTENT_TYPE_LATEST: {}}, "description": "Prometheus text format."}},
)
def scrape(session: SessionDep, metrics: MetricsDep) -> Response:
    """The app's metrics in Prometheus text format; open work is counted in the database now."""
    metrics.open_exceptions.set(store.count(session, m.ExceptionRecord, col(m.ExceptionRecord.status) == "open"))
    pending = session.execute(
        select(col(m.DecisionRecord.specialist), func.count())
        .where(col(m.DecisionRecord.status) == "pending_approval")
        .group_by(col(m.DecisionRecord.specialist))
    ).all()
    counts = dict.fromkeys(get_args(Specialist), 0) | dict(pending)
    for specialist, count in counts.items():
        metrics.pending_approvals.labels(specialist).set(count)
    return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)
