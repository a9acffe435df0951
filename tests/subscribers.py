"""Real calendar clients used as test oracles: vdirsyncer (syncs a CalDAV calendar or a
subscribed http feed into a folder, one file an event; refuses duplicate UIDs)."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest
from icalendar import Calendar

VDIRSYNCER = Path(sys.executable).parent / "vdirsyncer"


def vdirsyncer_sync(source: Mapping[str, str], folder: Path,
                    ) -> subprocess.CompletedProcess[str]:
    """``vdirsyncer sync`` of the storage ``source`` (its config keys: type, url, ...) into
    ``folder/local`` (a filesystem storage). Its state lives in ``folder``, so calling it again
    with the same folder syncs the changes."""
    if not VDIRSYNCER.exists():
        pytest.skip("vdirsyncer is not installed (pip install -e '.[test]')")
    local = folder / "local"
    local.mkdir(parents=True, exist_ok=True)
    source_lines = "\n".join(f"{key} = {json.dumps(value)}" for key, value in source.items())
    config = folder / "vdirsyncer.conf"
    config.write_text(f"""\
[general]
status_path = {json.dumps(str(folder / "status") + "/")}

[pair plan]
a = "source"
b = "local"
collections = null
conflict_resolution = "a wins"

[storage source]
{source_lines}

[storage local]
type = "filesystem"
path = {json.dumps(str(local) + "/")}
fileext = ".ics"
""", encoding="utf-8")
    for step in ("discover", "sync"):         # discover: vdirsyncer's required first step
        done = subprocess.run([str(VDIRSYNCER), "-c", str(config), step], capture_output=True,
                              text=True, check=False, stdin=subprocess.DEVNULL)
        if done.returncode != 0:
            break
    return done


@dataclass(frozen=True)
class Synced:
    """One event as vdirsyncer wrote it. Its http storage (a subscription) replaces each UID
    with a hash of the item's content, so a subscribed event is known by what it says."""

    uid: str
    status: str
    start: dt.datetime
    summary: str


def synced_events(folder: Path, zone: dt.tzinfo = dt.UTC) -> list[Synced]:
    """Every event vdirsyncer wrote into ``folder/local``, in start order; one event a file and
    no UID twice, or the test fails. An all-day event starts at its day's midnight in
    ``zone``."""
    found: list[Synced] = []
    for path in sorted((folder / "local").glob("*.ics")):
        events = Calendar.from_ical(path.read_bytes()).events
        assert len(events) == 1, f"{path.name} holds {len(events)} events"
        event = events[0]
        start = event.start
        if not isinstance(start, dt.datetime):
            start = dt.datetime.combine(start, dt.time(), zone)
        found.append(Synced(str(event["UID"]), str(event.get("STATUS", "")), start,
                            str(event["SUMMARY"])))
    uids = [item.uid for item in found]
    assert len(set(uids)) == len(uids), "a UID twice"
    return sorted(found, key=lambda item: (item.start, item.summary))
