"""ippanel-run: declarative, exactly-once SMS campaigns for the IPPanel Edge API."""

from __future__ import annotations

__version__ = "0.1.0"
