"""Service settings: one validated object, read from ``STORYFILTER_*`` variables and overridden by flags.

Environment variables are how ``storyfilter serve`` hands its settings to every
uvicorn worker process (each worker builds its own app), so the environment is
the single source; flags simply win over it.
"""
from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator

from classifier.limits import DEFAULT_LIMITS, Limits

ENV_PREFIX = "STORYFILTER_"


class Settings(BaseModel):
    """Everything the scoring service needs to start; validated once at start-up."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    model_dir: Path | None = Field(None, description="Model directory; None: the shipped models.")
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=0, le=65535)
    workers: int = Field(1, ge=1, le=64)
    max_body_bytes: int = Field(DEFAULT_LIMITS.max_bytes, ge=1,
                                description="Largest request body, counted on the stream.")
    max_batch: int = Field(64, ge=1, description="Most pages in one batch request.")
    max_blocks: int = Field(DEFAULT_LIMITS.max_blocks, ge=1, description="Blocks kept per page (later ones dropped).")
    time_budget: float = Field(30.0, gt=0, description="Seconds one request may spend; a page or stage that may "
                               "not fit in what is left is answered 503 time_budget_exceeded.")
    max_in_flight: int = Field(64, ge=1, description="Scoring requests one worker holds at once; more get 429.")
    max_connections: int = Field(1000, ge=1, description="Open connections one worker serves at once; a request "
                                 "on one more is answered 503 and its connection closed.")
    keep_alive: int = Field(5, ge=1, le=3600, description="Seconds an idle keep-alive connection stays open.")
    threads: int = Field(4, ge=1, le=256, description="Threads that score requests in one worker; the others "
                                                      "wait their turn (scoring holds the GIL).")
    api_key: SecretStr | None = Field(None, description="If set, /v1/* requires it in the X-API-Key header.")
    feedback_db: str | None = Field(None, description="Feedback store of /review: a SQLAlchemy URL or a SQLite "
                                                      "file; None: feedback.sqlite3 in the user's data folder.")

    @field_validator("api_key")
    @classmethod
    def _key_not_blank(cls, key: SecretStr | None) -> SecretStr | None:
        """An empty key would match a request without one: refuse it instead of serving unprotected."""
        if key is not None and not key.get_secret_value().strip():
            raise ValueError("the API key is empty (is the variable it comes from unset?); "
                             "leave it out to run without a key")
        return key

    def limits(self) -> Limits:
        """Page limits for the model: a page may be as large as a body, no larger."""
        return Limits(max_bytes=self.max_body_bytes, max_blocks=self.max_blocks)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> "Settings":
        """Read ``STORYFILTER_<FIELD>`` variables; ``overrides`` that are not None win.

        Raises :class:`pydantic.ValidationError` naming the bad field.
        """
        environ = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for name in cls.model_fields:
            raw = environ.get(ENV_PREFIX + name.upper())
            if raw not in (None, ""):
                values[name] = raw
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)

    def to_env(self) -> dict[str, str]:
        """The ``STORYFILTER_*`` variables that rebuild these settings in another process."""
        out: dict[str, str] = {}
        for name in type(self).model_fields:
            value = getattr(self, name)
            if value is None:
                continue
            if isinstance(value, SecretStr):
                value = value.get_secret_value()
            out[ENV_PREFIX + name.upper()] = str(value)
        return out


__all__ = ["ENV_PREFIX", "Settings", "ValidationError"]
