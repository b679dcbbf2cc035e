"""The two stores of a workspace: analytics (Ibis, DuckDB by default) and app (SQLAlchemy)."""
