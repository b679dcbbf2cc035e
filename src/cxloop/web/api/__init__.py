"""The JSON API under /api/v1: one module per area, each adding its routes to ``router``."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/api/v1")

from . import analyses, coaching, ingest, records  # noqa: E402 - the areas add their routes

for _area in (analyses, records, coaching, ingest):
    router.include_router(_area.router)
