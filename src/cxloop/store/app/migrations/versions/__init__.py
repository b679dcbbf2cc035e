"""One file per app-store schema revision, oldest first (Alembic skips this file)."""
