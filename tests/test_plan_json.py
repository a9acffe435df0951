"""The JSON export is a versioned format of its own, documented in docs/json-export.md, with
migrations from older versions; it is not what the store holds."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from factories import ROOT, build, make_profile, one_line_error, run

from planner.calendars.export.plan_json import VERSION, export_dict, plan_json, read_export
from planner.errors import InputError
from planner.store.plan import Plan


@pytest.fixture(scope="module")
def plan() -> Plan:
    return build(make_profile(weeks=2))


def _documented() -> str:
    text = (ROOT / "docs" / "json-export.md").read_text(encoding="utf-8")
    return text[text.index("<!-- json-schema -->"):text.index("<!-- /json-schema -->")]


def _paths(value: Any, prefix: str = "") -> set[str]:
    """Every leaf field's path: 'plan.id', 'sessions[].exercises[].cue', ..."""
    if isinstance(value, dict):
        return set().union(*(_paths(v, f"{prefix}{k}.") for k, v in value.items()))
    if isinstance(value, list) and value and isinstance(value[0], dict):
        return _paths(value[0], prefix[:-1] + "[].")
    return {prefix[:-1]}


def test_the_export_has_a_version_and_every_field_is_documented(plan: Plan) -> None:
    data = export_dict(plan)
    assert data["version"] == VERSION == 4
    assert data["checks"], "the baseline tests and PSFS check-ins are exported"
    assert data["plan"]["end"] == plan.end.isoformat()
    documented = _documented()
    for path in sorted(_paths(data)):
        parent, _, leaf = path.rpartition(".")
        if parent.endswith("exercises[]"):
            assert f"`{leaf}`" in documented, path       # listed in the exercises row
        else:
            assert f"`{path}`" in documented, path


def test_the_export_is_not_what_the_store_holds(plan: Plan) -> None:
    assert "version" not in plan.to_dict() and "version" in export_dict(plan)
    logged = {"state", "target_rpe", "logged_rpe", "logged_pain", "not_met"}
    assert [{k: v for k, v in s.items() if k not in logged}
            for s in export_dict(plan)["sessions"]] == plan.to_dict()["sessions"]


def test_an_export_reads_back_as_the_same_plan(plan: Plan) -> None:
    assert read_export(json.loads(plan_json(plan))) == plan


def test_an_unversioned_export_is_migrated(plan: Plan) -> None:
    """What periodize wrote before the format had a version: the store's shape."""
    old = json.loads(json.dumps(plan.to_dict()))
    assert "version" not in old
    assert read_export(old) == plan


@pytest.mark.parametrize("version", [VERSION + 1, -1, "1", True])
def test_an_export_of_an_unknown_version_is_refused(plan: Plan, version: Any) -> None:
    data = {**export_dict(plan), "version": version}
    with pytest.raises(InputError, match=r"^version: .* an export of version 0 to 4"):
        read_export(data)


def test_a_damaged_export_is_one_input_error(plan: Plan) -> None:
    data = export_dict(plan)
    del data["plan"]["timezone"]
    with pytest.raises(InputError, match="a periodize JSON export"):
        read_export(data)


def test_the_cli_writes_the_versioned_export(store: Path) -> None:
    result = run("--db", str(store), "export", "--format", "json")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["version"] == VERSION
    assert re.match(r'\{\n  "version": 4,\n  "plan": \{', result.stdout)
    assert one_line_error(run("--db", str(store), "export", "--format", "json", "--google"),
                          "--google")
