"""Every test session knows the shipped catalogues' level names and button keys (kpi.units keeps
those of every catalogue read), as a running bot does once it has read its catalogues."""

from __future__ import annotations

from pathlib import Path

from services.catalogue_file import load_catalogue

CATALOGS = Path(__file__).resolve().parent.parent / "catalogs"

for _path in sorted(CATALOGS.glob("*.yaml")):
    load_catalogue(_path)
