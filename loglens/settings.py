"""The one settings object of loglens, read from ``LOGLENS_*`` environment variables.

Every process of loglens (collector, agent, bots, CLI) builds its configuration here, so
that one variable means the same thing everywhere and one place refuses unsafe values.
Command-line flags override the environment by passing keyword arguments.
"""

from __future__ import annotations

import ipaddress
import re
import socket
import zoneinfo
from pathlib import Path
from typing import Annotated, Literal

import platformdirs
from pydantic import AliasChoices, Field, SecretStr, ValidationInfo, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

Port = Annotated[int, Field(ge=0, le=65535)]

MIB = 1024 * 1024
# scheme://host[:port], without a path: what a browser sends in its Origin header.
_ORIGIN = re.compile(r"[a-z][a-z0-9+.-]*://[^/\s:]+(:[0-9]{1,5})?")


def default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir("loglens", appauthor=False))


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class Settings(BaseSettings):
    # Empty variables count as unset: compose files pass ${VAR:-} for everything optional.
    model_config = SettingsConfigDict(
        env_prefix="LOGLENS_", extra="ignore", frozen=True, populate_by_name=True, env_ignore_empty=True
    )

    # --- where loglens listens -------------------------------------------------------------
    host: str = "127.0.0.1"
    otlp_http_port: Port = 4318
    otlp_grpc_port: Port = 4317
    # Fluentd forward protocol (TCP, with the UDP heartbeat on the same port number).
    forward_port: Port = 24224
    # Syslog (RFC 5424 and 3164) on TCP and UDP, the same port number for both; above 1024 so
    # that it needs no root. LOGLENS_SYSLOG_ENABLED=false listens on neither.
    syslog_enabled: bool = True
    syslog_port: Port = 5514
    # Syslog over TLS (RFC 5425) on a port of its own, with this certificate chain and key (PEM);
    # unset, no TLS listener.
    syslog_tls_port: Port | None = None
    syslog_tls_cert: Path | None = None
    syslog_tls_key: Path | None = None
    # A syslog message longer than this (a UDP datagram, a TCP frame) is dropped and counted.
    syslog_max_message_bytes: Annotated[int, Field(ge=480, le=16 * MIB)] = 64 * 1024
    # GELF (Graylog Extended Log Format 1.1) on TCP and UDP, the same port number for both, as
    # Graylog's inputs listen. LOGLENS_GELF_ENABLED=false listens on neither.
    gelf_enabled: bool = True
    gelf_port: Port = 12201
    # A GELF message larger than this (a TCP frame, a datagram's chunks put together, or what a
    # compressed one inflates to) is dropped and counted.
    gelf_max_message_bytes: Annotated[int, Field(ge=1024, le=16 * MIB)] = 1 * MIB

    # --- where logs are stored ---------------------------------------------------------------
    # Unset: loglens runs an embedded PostgreSQL server with its data under data_dir.
    database_url: SecretStr | None = None
    data_dir: Path = Field(default_factory=default_data_dir)

    # --- ingestion --------------------------------------------------------------------------
    # Bodies larger than this, before or after decompression, are refused with 413.
    max_body_bytes: Annotated[int, Field(ge=64 * 1024, le=512 * MIB)] = 32 * MIB
    max_message_chars: Annotated[int, Field(ge=1024, le=64 * MIB)] = 1 * MIB
    # The batcher COPYs when this many rows are waiting, or after flush_interval_ms.
    batch_rows: Annotated[int, Field(ge=1, le=1_000_000)] = 10_000
    flush_interval_ms: Annotated[int, Field(ge=1, le=60_000)] = 50
    # Rows accepted but not yet committed, per collector worker; past this, receivers answer 429.
    max_pending_rows: Annotated[int, Field(ge=1_000, le=50_000_000)] = 200_000
    # The same limit in bytes: what the pending rows and the request bodies they came in hold
    # (approximately; the batcher counts text and a fixed cost per row). Either limit answers 429.
    max_pending_bytes: Annotated[int, Field(ge=1 * MIB, le=64 * 1024 * MIB)] = 128 * MIB
    # How long a request may wait for its rows to commit before it is answered 503 (Retry-After),
    # its rows withdrawn (or the transaction holding them rolled back): a request told to retry
    # is never stored. Shorter than clients' own timeouts (the OpenTelemetry SDKs' 10 s, the
    # Collector's 5 s), so that they hear the 503 and retry instead of giving up on their own.
    commit_timeout_s: Annotated[float, Field(gt=0, le=300)] = 4.0
    writer_connections: Annotated[int, Field(ge=1, le=16)] = 2
    # Collector processes sharing the ports; 0 runs one per core (decoding is CPU-bound).
    collector_workers: Annotated[int, Field(ge=0, le=64)] = 0
    # The native ingest path (collector/native: OTLP protobuf decoded and rows encoded in C):
    # auto uses it when it is built, on refuses to start without it, off forces the Python path.
    native: Literal["auto", "on", "off"] = "auto"
    # Optional shared secret; when set, receivers require "Authorization: Bearer <token>".
    ingest_token: SecretStr | None = None
    # Fluentd forward: when set, clients must pass the HELO/PING/PONG handshake with this key
    # (Fluentd's <security> shared_key); username and password add its user_auth. Unset, the
    # ingest token is the key, if there is one: a token protects every receiver.
    forward_shared_key: SecretStr | None = None
    forward_username: str | None = None
    forward_password: SecretStr | None = None
    # The name loglens gives in the handshake's PONG (Fluentd's self_hostname); clients check
    # that it differs from their own.
    forward_self_hostname: str = Field(default_factory=socket.gethostname, min_length=1, max_length=255)
    # Web pages allowed to send logs from browsers (CORS), comma-separated origins such as
    # "https://app.example.com,http://localhost:3000", or "*" for any. Unset: no CORS.
    cors_origins: str = ""
    # Days of logs to keep; older daily partitions are dropped. 0 keeps everything.
    retention_days: Annotated[int, Field(ge=0, le=36500)] = 0
    # How long a replayed Idempotency-Key (or Fluentd chunk id) is remembered.
    idempotency_ttl_hours: Annotated[int, Field(ge=1, le=24 * 30)] = 24
    # A connection on any ingest port that sends nothing for this long is closed: idle between
    # requests, never sending one, stalled in a request's headers or body, or in a forward frame.
    idle_timeout_s: Annotated[float, Field(gt=0, le=3600)] = 120.0

    # --- the agent: questions in, read-only SQL and insights out -----------------------------
    agent_port: Port = 8001
    # Bearer token for the agent's API and web client; required when it listens beyond loopback.
    api_token: SecretStr | None = None
    allow_open_api: bool = False
    llm_provider: Literal["auto", "anthropic", "openai", "openai-compatible", "offline"] = "auto"
    llm_model: str | None = None
    llm_base_url: str | None = None
    llm_api_key: SecretStr | None = None
    anthropic_api_key: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("LOGLENS_ANTHROPIC_API_KEY", "ANTHROPIC_API_KEY")
    )
    openai_api_key: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("LOGLENS_OPENAI_API_KEY", "OPENAI_API_KEY")
    )
    llm_timeout_s: Annotated[float, Field(gt=0, le=600)] = 60.0
    # Answer questions the offline planner is sure of without the model, even when one is set.
    offline_fast_path: bool = True
    # Plan mode: the model fills a typed query (execute_plan) and never writes SQL text itself.
    llm_plan_only: bool = False
    # A login role that can only read logs; unset, the agent uses SET ROLE loglens_reader.
    reader_database_url: SecretStr | None = None
    query_timeout_s: Annotated[float, Field(gt=0, le=300)] = 10.0
    default_result_rows: Annotated[int, Field(ge=1, le=100_000)] = 100
    max_result_rows: Annotated[int, Field(ge=1, le=100_000)] = 1000
    # The built web client the agent serves at /; unset, bots/web/dist of this checkout.
    web_dir: Path | None = None
    # Where people reach the web client (e.g. https://loglens.example.com), for links from Slack;
    # unset, links point at this machine's agent address.
    public_url: str | None = None
    # The one time zone of answers (an IANA name, e.g. Asia/Seoul): the times insights write.
    timezone: str = "UTC"

    # --- the Slack bot (bots/slack): on when SLACK_BOT_TOKEN is set ---------------------------
    # Slack's own variable names work too, as for the model providers' keys.
    slack_bot_token: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("LOGLENS_SLACK_BOT_TOKEN", "SLACK_BOT_TOKEN")
    )
    # HTTP transport (Events API on the agent's port, /slack/events): every request must carry
    # a signature made with this secret.
    slack_signing_secret: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("LOGLENS_SLACK_SIGNING_SECRET", "SLACK_SIGNING_SECRET")
    )
    # Socket Mode: with an app-level token (xapp-…) the bot connects out to Slack instead, and
    # needs no public address.
    slack_app_token: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("LOGLENS_SLACK_APP_TOKEN", "SLACK_APP_TOKEN")
    )
    # The Slack Web API's base URL; tests and Slack-compatible servers replace it.
    slack_api_url: str = "https://slack.com/api/"
    # Questions one Slack user may ask per minute (a token bucket holding as many), so that one
    # person cannot flood the database.
    slack_questions_per_minute: Annotated[int, Field(ge=1, le=600)] = 6
    # At most one chat.update per message this often while an answer streams (Slack allows
    # about one message write per second per channel); the final answer is never held back.
    slack_update_interval_s: Annotated[float, Field(ge=0.05, le=30)] = 1.0

    @field_validator(
        "forward_shared_key",
        "forward_username",
        "forward_password",
        "syslog_tls_port",
        "syslog_tls_cert",
        "syslog_tls_key",
        "public_url",
        "slack_bot_token",
        "slack_signing_secret",
        "slack_app_token",
        mode="before",
    )
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        # An empty variable means unset, as an empty LOGLENS_INGEST_TOKEN does (compose files
        # pass "${VAR:-}").
        return None if value == "" else value

    @field_validator("host")
    @classmethod
    def _host_is_an_address(cls, host: str) -> str:
        if host != "localhost":
            try:
                ipaddress.ip_address(host)
            except ValueError:
                raise ValueError(f"LOGLENS_HOST must be an IP address or 'localhost', not {host!r}") from None
        return host

    @field_validator("public_url", "slack_api_url")
    @classmethod
    def _http_url(cls, url: str | None, info: ValidationInfo) -> str | None:
        if url is None:
            return None
        if not url.startswith(("http://", "https://")):
            raise ValueError(f"must be an http:// or https:// URL, not {url!r}")
        # The Web API client joins method names onto its base URL; the web client's links add "/?q=".
        return url.rstrip("/") + "/" if info.field_name == "slack_api_url" else url.rstrip("/")

    @field_validator("timezone")
    @classmethod
    def _an_iana_zone(cls, name: str) -> str:
        try:
            zoneinfo.ZoneInfo(name.strip())
        # (a region's folder, "America", is a directory in the tzdata package: an OSError there)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
            raise ValueError(
                f"{name!r} is not an IANA time zone (e.g. UTC, Europe/Berlin, Asia/Seoul, America/New_York)"
            ) from None
        return name.strip()

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        """``timezone`` as a tzinfo."""
        return zoneinfo.ZoneInfo(self.timezone)

    @field_validator("cors_origins")
    @classmethod
    def _origins_are_origins(cls, value: str) -> str:
        origins = [origin.strip() for origin in value.split(",") if origin.strip()]
        for origin in origins:
            if origin != "*" and not _ORIGIN.fullmatch(origin):
                raise ValueError(
                    f"LOGLENS_CORS_ORIGINS: {origin!r} is not an origin like https://app.example.com[:port]"
                )
        return ",".join(origins)

    @property
    def cors_origin_set(self) -> frozenset[str]:
        return frozenset(self.cors_origins.split(",")) if self.cors_origins else frozenset()

    @model_validator(mode="after")
    def _refuse_unsafe_combinations(self) -> Settings:
        if self.max_message_chars * 4 > self.max_body_bytes:
            raise ValueError(
                "LOGLENS_MAX_MESSAGE_CHARS allows messages that can never fit in LOGLENS_MAX_BODY_BYTES; "
                "raise the body limit or lower the message limit"
            )
        if (self.forward_username is None) != (self.forward_password is None):
            raise ValueError(
                "LOGLENS_FORWARD_USERNAME and LOGLENS_FORWARD_PASSWORD go together; set both or neither"
            )
        if self.forward_username is not None and self.forward_key is None:
            raise ValueError(
                "LOGLENS_FORWARD_USERNAME needs LOGLENS_FORWARD_SHARED_KEY (or LOGLENS_INGEST_TOKEN): "
                "Fluentd's user authentication is part of the shared-key handshake"
            )
        self._refuse_half_a_tls_setup()
        if self.gelf_enabled and self.syslog_enabled and self.gelf_port == self.syslog_port != 0:
            raise ValueError("LOGLENS_GELF_PORT must differ from LOGLENS_SYSLOG_PORT (both listen on TCP and UDP)")
        for name in ("database_url", "reader_database_url"):
            value = getattr(self, name)
            if value is not None and not value.get_secret_value().startswith(("postgresql://", "postgres://")):
                raise ValueError(f"LOGLENS_{name.upper()} must be a postgresql:// URL")
        if self.llm_provider == "openai-compatible" and not self.llm_base_url:
            raise ValueError(
                "LOGLENS_LLM_PROVIDER=openai-compatible needs LOGLENS_LLM_BASE_URL (e.g. http://localhost:11434/v1)"
            )
        if self.default_result_rows > self.max_result_rows:
            raise ValueError("LOGLENS_DEFAULT_RESULT_ROWS cannot exceed LOGLENS_MAX_RESULT_ROWS")
        if self.slack_bot_token is not None and self.slack_app_token is None and self.slack_signing_secret is None:
            raise ValueError(
                "SLACK_BOT_TOKEN needs SLACK_SIGNING_SECRET (Slack sends events to /slack/events) "
                "or SLACK_APP_TOKEN (Socket Mode)"
            )
        return self

    def _refuse_half_a_tls_setup(self) -> None:
        given = {
            "LOGLENS_SYSLOG_TLS_PORT": self.syslog_tls_port,
            "LOGLENS_SYSLOG_TLS_CERT": self.syslog_tls_cert,
            "LOGLENS_SYSLOG_TLS_KEY": self.syslog_tls_key,
        }
        if self.syslog_tls_port is not None and self.syslog_tls_port == self.syslog_port != 0:
            raise ValueError("LOGLENS_SYSLOG_TLS_PORT must differ from LOGLENS_SYSLOG_PORT (plain syslog's)")
        missing = [name for name, value in given.items() if value is None]
        if missing and len(missing) < len(given):
            raise ValueError(
                "syslog over TLS needs LOGLENS_SYSLOG_TLS_PORT, LOGLENS_SYSLOG_TLS_CERT and "
                f"LOGLENS_SYSLOG_TLS_KEY together; missing: {', '.join(missing)}"
            )

    @property
    def syslog_tls(self) -> bool:
        """Whether a TLS syslog listener is configured (port, certificate and key)."""
        return self.syslog_enabled and self.syslog_tls_port is not None

    def refuse_open_api(self) -> None:
        """The agent's API reads every log: beyond loopback it needs a token (or an explicit opt-out)."""
        if self.exposed and self.api_token is None and not self.allow_open_api:
            raise ValueError(
                f"the agent API would listen on {self.host} without a token: set LOGLENS_API_TOKEN "
                "(or LOGLENS_ALLOW_OPEN_API=true if a proxy in front of loglens authenticates users)"
            )

    @property
    def forward_key(self) -> SecretStr | None:
        """The forward handshake's shared key: its own setting, else the ingest token."""
        return self.forward_shared_key or self.ingest_token or None

    @property
    def slack_transport(self) -> Literal["socket", "http"] | None:
        """How the Slack bot hears from Slack: Socket Mode when an app token is set, else HTTP."""
        if self.slack_bot_token is None:
            return None
        return "socket" if self.slack_app_token is not None else "http"

    @property
    def exposed(self) -> bool:
        """Whether the listening address is reachable from other machines."""
        return not is_loopback(self.host)
