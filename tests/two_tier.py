"""The Kon Tum catalogue made two-tier, as a new user would after 1 July 2025: the communes moved
directly under the province, every `district` key dropped (issue 14)."""

from __future__ import annotations

import copy
from typing import Any

MIDDLE = "district"  # the level the reform of 2025 ended
TOP = "province"


def without_middle(levels: list[str]) -> list[str]:
    return [level for level in levels if level != MIDDLE]


def made_two_tier(raw: dict[str, Any]) -> dict[str, Any]:
    """A copy of the catalogue's mapping with the middle level gone."""
    data = copy.deepcopy(raw)
    middle_units = {
        unit["code"] for unit in raw["units"].get("children", []) if unit["level"] == MIDDLE
    }
    data["levels"] = [lvl for lvl in data["levels"] if lvl["code"] != MIDDLE]
    for level in data["levels"]:
        if MIDDLE in level.get("under", []):
            level["under"] = [TOP if u == MIDDLE else u for u in level["under"]]
    data["calendar"]["deadlines"].pop(MIDDLE, None)
    for element in data["elements"]:
        element["levels"] = without_middle(element["levels"])
    data["elements"] = [e for e in data["elements"] if e["levels"]]
    kept = {e["code"] for e in data["elements"]}
    data["rules"] = [r for r in data.get("rules", []) if set(r["left"]) | set(r["right"]) <= kept]
    indicators = []
    for indicator in data["indicators"]:
        indicator["levels"] = without_middle(indicator["levels"])
        target = indicator.get("target") or {}
        if target.get("by_level"):
            target["by_level"].pop(MIDDLE, None)
        indicator["variants"] = [v for v in indicator.get("variants", []) if v["level"] != MIDDLE]
        scope = indicator.get("scope") or {}
        if scope.get("units"):
            scope["units"] = [u for u in scope["units"] if u not in middle_units]
        if indicator["levels"]:
            indicators.append(indicator)
    data["indicators"] = indicators
    for prop in data.get("unit_properties", []):
        prop["levels"] = without_middle(prop.get("levels", []))
        prop["units"] = [u for u in prop.get("units", []) if u not in middle_units]
    root = data["units"]
    children = []
    for child in root["children"]:
        if child["level"] == MIDDLE:
            children.extend(child.get("children", []))
        else:
            children.append(child)
    root["children"] = children
    return data
