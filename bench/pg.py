"""The database a PostgreSQL benchmark keeps between runs, created on its first."""

import psycopg


def create_database(url: str) -> None:
    """Creates the database `url` names unless it exists (on a new machine it does not)."""
    server, name = url.rsplit("/", 1)
    with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
        if not admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            admin.execute(f'CREATE DATABASE "{name}"')
