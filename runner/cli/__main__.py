"""``python -m runner.cli`` runs the command line."""

from __future__ import annotations

from runner.cli import main

main()
