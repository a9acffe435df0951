"""The page a check's event links to (issue 26 §3, §5): it records a baseline test or PSFS
ratings through ``measure``, as the CLI does (same checks, same re-dosing, undoable), once per
key; bad input is refused in words and changes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("starlette", reason="the web extra is not installed")

from test_web import _store, client_for

from planner.store.database import open_store

HOME = "/a/ana-token-0123456789/"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    _store(tmp_path / "roster", "Ana", "ana-token-0123456789")
    return tmp_path / "roster"


def test_the_page_asks_for_the_tests_items_and_known_psfs_activities(folder: Path) -> None:
    client = client_for(folder)
    page = client.get(HOME + "measure")
    assert page.status_code == 200
    for name in ("stepdowns.left", "stepdowns.right", "sts.left", "sts.right", "pain.squat",
                 "hop.single.left", "hop.single.right"):
        assert f'name="measure.{name}"' in page.text
    assert 'name="what" value="measure"' in page.text and "Step downs from the bottom" in page.text
    assert 'measure">Tests</a>' in client.get(HOME).text       # in every page's menu


def test_a_test_from_the_page_is_the_clis_measure_once_per_key(folder: Path) -> None:
    client = client_for(folder)
    db = folder / "ana.db"
    data = {"key": "m-1", "what": "measure", "day": "2027-01-09", "measure.stepdowns.left": "4",
            "measure.stepdowns.right": "12", "measure.sts.left": "", "measure.pain.squat": "1",
            "more": "psfs.stairs=4 psfs.running=2"}
    answer = client.post(HOME + "log", data=data, headers={"Accept": "application/json"})
    assert answer.status_code == 200, answer.text
    said = answer.json()["said"]
    assert said[0] == ("measured on 2027-01-09: pain.squat 1, psfs.running 2, psfs.stairs 4, "
                       "stepdowns.left 4, stepdowns.right 12")
    assert any("levels at most: step down 0" in line for line in said)
    with open_store(db) as store:
        plan_id = store.current().plan.plan_id
        taken = store.measures(plan_id)
        changes = store.changes()
    assert len(taken) == 5
    again = client.post(HOME + "log", data={**data, "measure.stepdowns.left": "9"},
                        headers={"Accept": "application/json"})
    assert again.json()["again"] is True
    with open_store(db) as store:
        assert store.measures(plan_id) == taken and store.changes() == changes
    # The activities named so far are asked for by name next time.
    assert 'name="measure.psfs.stairs"' in client.get(HOME + "measure").text


@pytest.mark.parametrize("extra", [{"measure.sts.left": "2.5"}, {"measure.pain.squat": "11"},
                                   {"more": "weight=80"}, {"day": "2027-02-20"}, {}])
def test_bad_input_is_refused_in_words_and_changes_nothing(folder: Path,
                                                           extra: dict[str, str]) -> None:
    client = client_for(folder)
    db = folder / "ana.db"
    with open_store(db) as store:
        changes = store.changes()
    data = {"key": "m-2", "what": "measure", "day": "2027-01-09", **extra}
    answer = client.post(HOME + "log", data=data)
    assert answer.status_code == 400 and "Nothing was changed." in answer.text
    with open_store(db) as store:
        assert store.changes() == changes
        assert store.measures(store.current().plan.plan_id) == []
