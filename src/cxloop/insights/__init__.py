"""Insights that separate signal from noise (issue 4): so far, key driver analysis."""

from .drivers import DriverResult, key_drivers

__all__ = ["DriverResult", "key_drivers"]
