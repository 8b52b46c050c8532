"""All runtime settings in one pydantic-settings class, read from `YM_*` variables."""

from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    """Yardmaster configuration; every field can be set as `YM_<NAME>`."""

    model_config = SettingsConfigDict(env_prefix="YM_", env_file=".env", extra="ignore")

    data_dir: Path = Field(
        default=Path("var"), description="Embedded data: SQLite file, Chroma directory, model artifacts."
    )
    database_url: str | None = Field(default=None, description="SQLAlchemy URL; default is SQLite in data_dir.")
    chroma_url: str | None = Field(
        default=None, description="http://host:port of a Chroma server; default is a local directory."
    )
    llm: str = Field(default="offline", description="Chat model provider: offline or openai.")
    llm_model: str = Field(default="gpt-4o-mini", description="Model name for the OpenAI-compatible provider.")
    llm_base_url: str | None = Field(default=None, description="Base URL of any OpenAI-compatible endpoint.")
    llm_api_key: str | None = Field(default=None, description="API key for the OpenAI-compatible endpoint.")
    routing_engine: str = Field(default="pyvrp", description="VRPTW engine: pyvrp or ortools.")
    routing_sized_effort: bool = Field(
        default=True,
        description="Size PyVRP's iterations to the instance's stop count (a caller's iterations are a ceiling).",
    )
    shared_data_dir: Path = Field(default=PROJECT_ROOT.parent / "shared" / "data", description="Public benchmark data.")
    detect_interval_s: float = Field(
        default=900.0, ge=0, description="Seconds between detector passes in the service; 0 is off."
    )
    model_refresh_s: float = Field(
        default=5.0,
        ge=0,
        description="Seconds between looks at which model versions are in force (promoted or rolled back); each "
        "process switches new decisions to them without a restart.",
    )
    drift_window_days: int = Field(
        default=14, ge=1, description="Days of recent scoring whose features are compared with training for drift."
    )
    drift_psi_threshold: float = Field(
        default=0.2, gt=0, description="A feature's PSI above which its model has drifted (a model_drift exception)."
    )
    perf_window_days: int = Field(
        default=14,
        ge=1,
        description="Days of outcomes (deliveries, breakdowns, sales) a model's performance is measured on.",
    )
    perf_min_labels: int = Field(
        default=50, ge=1, description="Labelled outcomes a performance measurement needs before it can flag a model."
    )
    perf_max_auc_drop: float = Field(
        default=0.05, gt=0, le=1, description="ROC-AUC below the model's reference by more than this flags it."
    )
    perf_max_calibration_error: float = Field(
        default=0.1, gt=0, le=1, description="Expected calibration error above which a risk model is flagged."
    )
    perf_min_coverage: float = Field(
        default=0.7, ge=0, le=1, description="Least share of units sold inside the forecast's 80% interval."
    )
    perf_max_coverage: float = Field(
        default=0.9, ge=0, le=1, description="Largest share of units sold inside the forecast's 80% interval."
    )
    perf_demand_series: int = Field(
        default=30, ge=1, le=300, description="Busiest SKU-DC series whose forecast is checked against sales."
    )
    event_max_age_h: float = Field(
        default=72.0, gt=0, description="Hours before the twin's clock past which an event or exception is late."
    )
    claim_lease_s: float = Field(
        default=60.0,
        gt=0,
        description="Seconds a process may hold an exception or verdict it works "
        "on before another may take it over (it died).",
    )
    sweep_interval_s: float = Field(
        default=30.0,
        ge=0,
        description="Seconds between passes that resume stranded work and "
        "expire pending decisions; 0 is off (a pass still runs at start-up).",
    )
    decision_wait_s: float = Field(
        default=30.0,
        ge=0,
        description="Seconds a request waits for a decision another request "
        "is making on the same exception or subject.",
    )
    duplicate_window_h: float = Field(
        default=24.0,
        ge=0,
        description="Hours after a decision during which a new exception on the same subject merges into it.",
    )
    pending_ttl_h: dict[str, float] = Field(
        default={"notify_customer": 4.0, "expedite_shipment": 4.0, "switch_carrier": 4.0},
        description="Hours a decision waits for approval, per action type, before it expires.",
    )
    default_pending_ttl_h: float = Field(
        default=24.0, gt=0, description="Hours a decision waits for approval by default."
    )
    checkpoint_retention_h: float = Field(
        default=24.0,
        ge=0,
        description="Hours a concluded decision keeps its full checkpoint history (for inspection) before the sweep "
        "prunes it to the latest checkpoint.",
    )
    precedent_retention_days: float = Field(
        default=90.0,
        ge=0,
        description="Days a concluded decision stays a precedent in the knowledge base before the sweep takes it "
        "out (its row and audit stay); 0 keeps every precedent.",
    )
    chat_max_turns: int = Field(
        default=100, ge=1, description="Turns one chat thread may hold; past it the desk asks for a new conversation."
    )
    fault_kill_at: str | None = Field(
        default=None,
        description="Testing only: SIGKILL the process on reaching this fault point (see graph/faults.py).",
    )
    queue: Literal["procrastinate"] | None = Field(
        default=None,
        description="`procrastinate`: the API enqueues decisions and periodic work for `yardmaster worker` processes "
        "(needs a PostgreSQL database_url); unset: decisions are made in process.",
    )
    answer_wait_s: float = Field(
        default=10.0,
        ge=0,
        description="Seconds POST /v1/exceptions waits for the decision before answering 202 with the exception's URL.",
    )
    decide_max_attempts: int = Field(
        default=4,
        ge=1,
        le=20,
        description="Tries of a queued decision (with exponential backoff) before it is marked failed.",
    )
    suggest_window_days: int = Field(
        default=30,
        ge=1,
        le=365,
        description="Policy suggestions: days of reviewed decisions mined, on the twin's clock.",
    )
    suggest_min_support: int = Field(
        default=5, ge=1, description="Policy suggestions: reviewed proposals of an action type in a cohort needed."
    )
    suggest_min_rejection_rate: float = Field(
        default=0.8,
        gt=0,
        le=1,
        description="Policy suggestions: share of those proposals rejected or overridden to suggest no longer "
        "proposing them.",
    )
    suggest_min_approval_rate: float = Field(
        default=0.95,
        gt=0,
        le=1,
        description="Policy suggestions: share approved unchanged to suggest acting within the approved costs.",
    )
    host: str = "127.0.0.1"
    port: int = 8000
    seed: int = 7
    workers: int = Field(default=1, ge=1, description="API worker processes sharing the database's connection budget.")
    db_max_connections: int = Field(
        default=40, ge=4, description="Database connections all API workers may hold together."
    )
    worker_db_connections: int = Field(
        default=5,
        ge=5,
        description="PostgreSQL connections one `yardmaster worker` may hold, its pools together: with --concurrency N, "
        "the queue's listener and its pool of N, the checkpointer's N, and the rest (at least N + 1) for the twin.",
    )
    db_pool_timeout_s: float = Field(default=5.0, gt=0, description="Wait for a free connection before answering 503.")
    max_body_bytes: int = Field(
        default=10_000_000, ge=1024, description="Largest request body accepted (413 above it)."
    )
    rate_limit_per_minute: int = Field(
        default=600, ge=1, description="Requests per minute allowed to one API key (429 above)."
    )
    auth_failures_per_minute: int = Field(
        default=20,
        ge=1,
        description="Failed authentications per minute from one client address, and against one key prefix.",
    )
    rate_limit_storage: str | None = Field(
        default=None,
        description="A `limits` storage URL shared by all API processes (e.g. `redis://host:6379`); unset: failed "
        "authentications are counted in the app's database and requests per key in each process.",
    )
    trusted_proxies: list[str] = Field(
        default=[],
        description="Addresses or networks of reverse proxies whose `X-Forwarded-For` names the client (JSON list, "
        'e.g. `["127.0.0.1"]`); empty: the header is ignored.',
    )
    llm_connect_timeout_s: float = Field(default=2.0, gt=0, description="Connect time-out of one LLM call.")
    llm_read_timeout_s: float = Field(default=10.0, gt=0, description="Read time-out of one LLM call.")
    llm_max_retries: int = Field(
        default=1,
        ge=0,
        le=5,
        description="Retries of a failed LLM call (with backoff) before the offline model answers.",
    )

    @property
    def resolved_database_url(self) -> str:
        """The database URL, defaulting to SQLite under data_dir."""
        return self.database_url or f"sqlite:///{(self.data_dir / 'yardmaster.db').resolve()}"

    @property
    def models_dir(self) -> Path:
        """Where trained model artifacts live."""
        return self.data_dir / "models"

    @property
    def db_pool_size(self) -> int:
        """Connections one worker's pool holds: its share of the database's budget."""
        return max(2, self.db_max_connections // self.workers)

    @property
    def chroma_dir(self) -> Path:
        """Where the embedded Chroma store lives."""
        return self.data_dir / "chroma"


def get_settings() -> Settings:
    """The settings in the environment now: an entry point reads them once and passes them to what it runs."""
    return Settings()
