"""Alembic migrations of the app store (run them with ``AppStore.upgrade()``)."""
