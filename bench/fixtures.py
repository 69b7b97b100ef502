"""What several benches set up the same way: a configuration for the
simulators without a config file, and a throw-away PostgreSQL database."""
from __future__ import annotations

import os
import random
from pathlib import Path
from typing import Any, Callable, Mapping

from core import config as config_mod

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN = os.environ.get("SWITCHBOARD_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")


def simulate_config(overrides: Mapping[str, Mapping[str, Any]]) -> config_mod.Config:
    """Defaults plus ``overrides`` in simulate mode, with the shipped files
    (personas, instructions) found in the repository."""
    cfg = config_mod.load(None, env={}, mode="simulate", overrides=overrides)
    return config_mod.Config(settings=cfg.settings, secrets=cfg.secrets, mode=cfg.mode, base_dir=ROOT)


def pg_database(admin_url: str, prefix: str) -> tuple[str, Callable[[], None]]:
    """A new PostgreSQL database (its URL) and the function that drops it."""
    import psycopg

    name = f"sb_{prefix}_bench_{random.randrange(10**8)}"
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")

    def drop() -> None:
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

    return f"{admin_url.rsplit('/', 1)[0]}/{name}", drop
