"""A hostile world (issue 11): inputs, servers, files and signals chosen to make periodize hang,
grow without bound or print a traceback. Every test bounds the work it allows by counting
(occurrences generated, bytes sent, process checks), never by reading the clock."""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import signal
import socketserver
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from factories import ROOT, named, one_line_error, run, write_profile

from planner.calendars.busy import MAX_GENERATED, read_busy_text
from planner.errors import InputError
from planner.store.strict_toml import MAX_DEPTH

LONDON = ZoneInfo("Europe/London")
FIRST, LAST = dt.date(2027, 1, 4), dt.date(2027, 2, 28)


# --- busy calendars: work bounded by occurrences generated --------------------------------------


class Overrun(BaseException):
    """More occurrences generated than a test allows: a regression fails instead of hanging.
    A BaseException, so that no reader turns it into a polite refusal."""


@pytest.fixture
def generated(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """Count every occurrence dateutil generates (from each rule's DTSTART, also before the
    range: the real work), stopping past a million."""
    from dateutil import rrule  # type: ignore[import-untyped]

    counted = [0]
    original = rrule.rrule._iter

    def counting(self: rrule.rrule) -> Iterator[dt.datetime]:
        for value in original(self):
            counted[0] += 1
            if counted[0] > 1_000_000:
                raise Overrun(counted[0])
            yield value

    monkeypatch.setattr(rrule.rrule, "_iter", counting)
    yield counted


def repeating(start: str, rule: str, summary: str = "Ping") -> bytes:
    return (f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\nUID:r@test"
            f"\r\nSUMMARY:{summary}\r\nDTSTAMP:20270101T000000Z\r\nDTSTART:{start}\r\n"
            f"DURATION:PT5M\r\nRRULE:{rule}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n").encode()


@pytest.mark.parametrize("rule", ["FREQ=SECONDLY", "FREQ=MINUTELY", "FREQ=MINUTELY;INTERVAL=14",
                                  "FREQ=SECONDLY;INTERVAL=600"])
def test_a_rule_finer_than_15_minutes_is_refused_before_expanding(
        generated: list[int], rule: str) -> None:
    with pytest.raises(InputError) as caught:
        read_busy_text(repeating("19700101T000000Z", rule), "x.ics", LONDON, FIRST, LAST)
    assert str(caught.value) == (f"busy: 'x.ics' is not accepted; events that repeat every 15 "
                                 f"minutes or less often ('Ping' repeats {rule})")
    assert generated[0] == 0


@pytest.mark.parametrize(("start", "rule"), [
    ("19700101T000000Z", "FREQ=MINUTELY;INTERVAL=15"),      # 2 million to 2027
    ("19700101T000000Z", "FREQ=HOURLY"),                    # half a million
    ("19900101T000000Z", "FREQ=DAILY;BYHOUR=1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,"
     "21,22,23;BYMINUTE=0,30"),                            # 46 a day since 1990, by BY parts
])
def test_rules_that_would_generate_too_much_are_refused_before_expanding(
        generated: list[int], start: str, rule: str) -> None:
    with pytest.raises(InputError, match=f"add up to at most {MAX_GENERATED:,} occurrences"):
        read_busy_text(repeating(start, rule), "x.ics", LONDON, FIRST, LAST)
    assert generated[0] == 0


@pytest.mark.slow
def test_an_hourly_rule_since_2020_is_walked_once(generated: list[int]) -> None:
    """62,800 hours from 2020 to the plan's end: generated once (one query for the whole range),
    not once per slice of the range as a step-by-step search would."""
    busy = read_busy_text(repeating("20200101T000000Z", "FREQ=HOURLY"), "x.ics", LONDON, FIRST,
                          LAST)
    assert len(busy) == 24 * 56 + 1        # every hour of 56 days, and 23:00 the night before
    hours = (dt.datetime(2027, 3, 1, tzinfo=dt.UTC) - dt.datetime(2020, 1, 1, tzinfo=dt.UTC))
    assert generated[0] <= hours // dt.timedelta(hours=1) + 48, generated[0]


def test_a_count_bounds_an_old_rule() -> None:
    """COUNT=3 from 1970: three occurrences, none in range; nothing refused."""
    assert read_busy_text(repeating("19700101T000000Z", "FREQ=MINUTELY;INTERVAL=15;COUNT=3"),
                          "x.ics", LONDON, FIRST, LAST) == []


def test_generate_refuses_a_minutely_rule_from_1970(tmp_path: Path, generated: list[int]) -> None:
    busy = tmp_path / "pings.ics"
    busy.write_bytes(repeating("19700101T000000Z", "FREQ=MINUTELY"))
    result = run("--db", str(tmp_path / "s.db"), "generate", str(write_profile(tmp_path)),
                 "-o", str(tmp_path / "plan.ics"), "--busy", str(busy))
    one_line_error(result, f"busy: {named(str(busy))}", "every 15 minutes or less often")
    assert generated[0] == 0
    assert not (tmp_path / "plan.ics").exists()


class _Resource:
    def __init__(self, data: bytes) -> None:
        self.raw_data = data


class _Calendar:
    def __init__(self, data: bytes) -> None:
        self.data = data

    def search(self, **_: object) -> list[_Resource]:
        return [_Resource(self.data)]


def test_busy_caldav_refuses_a_minutely_rule_from_1970(
        monkeypatch: pytest.MonkeyPatch, generated: list[int]) -> None:
    """The same reader behind [[busy_caldav]]: the server's resource is refused unexpanded."""
    import contextlib

    from planner.calendars import busy_caldav
    from planner.store.profile import CalDavSource

    data = repeating("19700101T000000Z", "FREQ=MINUTELY")
    monkeypatch.setattr(busy_caldav, "dav_client",
                        lambda *args: contextlib.nullcontext(object()))
    monkeypatch.setattr(busy_caldav, "open_calendar", lambda *args, **kw: _Calendar(data))
    source = CalDavSource("http://127.0.0.1:9/dav/", "sam", "Work")
    with pytest.raises(InputError, match=r"^busy: 'http://127\.0\.0\.1:9/dav/ Work' .*every 15"):
        busy_caldav.read_busy_caldav(source, "pw", LONDON, FIRST, LAST)
    assert generated[0] == 0


# --- files that are not regular, text nested without end ----------------------------------------


def test_a_named_pipe_as_profile_is_refused_without_waiting(tmp_path: Path) -> None:
    """Opening a pipe for reading waits for a writer: it is opened without blocking and
    refused by what it is (a writer never comes here; a blocking open would hang the test)."""
    pipe = tmp_path / "profile.toml"
    os.mkfifo(pipe)
    result = run("--db", str(tmp_path / "s.db"), "generate", str(pipe), "-o",
                 str(tmp_path / "plan.ics"))
    one_line_error(result, f"profile: {named(str(pipe))} is not accepted; a regular file (not "
                           "a device or a pipe)")


def test_a_named_pipe_as_store_or_csv_roster_is_refused(tmp_path: Path) -> None:
    """SQLite would open a pipe (and put its journal beside it); pandas would wait on it."""
    pipe = tmp_path / "store.db"
    os.mkfifo(pipe)
    one_line_error(run("--db", str(pipe), "history"),
                   f"--db: {named(str(pipe))} is not accepted; a regular file (not a device or "
                   "a pipe)")
    roster = tmp_path / "squad.csv"
    os.mkfifo(roster)
    one_line_error(run("batch", str(roster), "-o", str(tmp_path / "plans")),
                   f"ROSTER: {named(str(roster))} is not accepted; a regular file (not a device "
                   "or a pipe)",
                   quiet=False)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["squad.csv", "store.db"]


def deep_toml(levels: int) -> str:
    return 'name = "Deep"\nweeks = ' + "[" * levels + "1" + "]" * levels + "\n"


@pytest.mark.parametrize("levels", [17, 300, 500, 5000])
def test_deeply_nested_toml_is_refused_in_one_line(tmp_path: Path, levels: int) -> None:
    profile = tmp_path / "deep.toml"
    profile.write_text(deep_toml(levels), encoding="utf-8")
    result = run("--db", str(tmp_path / "s.db"), "generate", str(profile))
    one_line_error(result, f"profile: {named(str(profile))} is not accepted; TOML nested at most "
                        f"{MAX_DEPTH} levels deep")


def test_a_roster_folder_reports_a_pipe_and_deep_toml_and_plans_the_rest(tmp_path: Path) -> None:
    roster = tmp_path / "squad"
    roster.mkdir()
    write_profile(roster).rename(roster / "ann.toml")
    os.mkfifo(roster / "bob.toml")
    (roster / "cat.toml").write_text(deep_toml(500), encoding="utf-8")
    out = tmp_path / "plans"
    result = run("batch", str(roster), "-o", str(out), "--jobs", "1")
    assert "Traceback" not in result.output
    rows = {row["athlete"]: row for row in summary_rows(out)}
    assert rows["ann"]["status"] == "ok"
    assert rows["bob"]["status"] == "bad input"
    assert "a regular file (not a device or a pipe)" in rows["bob"]["reason"]
    assert rows["cat"]["status"] == "bad input"
    assert f"TOML nested at most {MAX_DEPTH} levels deep" in rows["cat"]["reason"]


def summary_rows(out: Path) -> list[dict[str, str]]:
    with (out / "summary.csv").open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


# --- paths: devices, links, long names, the data folder, a busy store ---------------------------


@pytest.fixture
def stored(stored: tuple[Path, Path]) -> Path:
    """conftest's store holding one plan (its path only)."""
    return stored[0]


@pytest.mark.parametrize(("device", "args"), [
    ("/dev/full", ["export", "-o"]), ("/dev/null", ["report", "-o"]),
    ("/dev/null", ["export", "--format", "csv", "-o"])])
def test_a_device_as_output_is_refused_and_left_a_device(stored: Path, device: str,
                                                          args: list[str]) -> None:
    if not Path(device).is_char_device():
        pytest.skip(f"no {device} here")
    one_line_error(
        run("--db", str(stored), *args, device),
        f"--output: '{device}' is not accepted; a regular file (not a device, a pipe or a socket)",
    )
    assert Path(device).is_char_device()


def test_a_pipe_as_output_is_refused(stored: Path, tmp_path: Path) -> None:
    pipe = tmp_path / "plan.ics"
    os.mkfifo(pipe)
    one_line_error(run("--db", str(stored), "export", "-o", str(pipe)), "a regular file")
    assert pipe.is_fifo()


def test_a_symlinked_output_is_written_through_to_its_target(stored: Path, tmp_path: Path) -> None:
    """Policy: the link stays and its target gets the new calendar (a served or synced file
    keeps being the one that is read)."""
    served = tmp_path / "served"
    served.mkdir()
    target = served / "plan.ics"
    target.write_bytes(b"stale")
    link = tmp_path / "plan.ics"
    link.symlink_to(target)
    result = run("--db", str(stored), "export", "-o", str(link))
    assert result.exit_code == 0, result.output
    assert link.is_symlink() and link.resolve() == target
    assert target.read_bytes().startswith(b"BEGIN:VCALENDAR")
    assert sorted(p.name for p in served.iterdir()) == ["plan.ics"]  # no temporary file left


def test_a_dangling_symlink_creates_its_target(stored: Path, tmp_path: Path) -> None:
    link = tmp_path / "plan.ics"
    link.symlink_to(tmp_path / "real.ics")
    assert run("--db", str(stored), "export", "-o", str(link)).exit_code == 0
    assert link.is_symlink() and (tmp_path / "real.ics").read_bytes().startswith(b"BEGIN:")


LONG = "x" * 300


def test_a_300_character_output_name_is_one_line(stored: Path, tmp_path: Path) -> None:
    out = tmp_path / f"{LONG}.ics"
    one_line_error(
        run("--db", str(stored), "export", "-o", str(out)), "--output: ", "(File name too long)"
    )
    one_line_error(
        run("--db", str(stored), "report", "-o", str(tmp_path / ("y" * 250))),
        "a file name of at most",
    )


def test_a_300_character_store_name_is_one_line(tmp_path: Path) -> None:
    db = tmp_path / f"{LONG}.db"
    one_line_error(
        run("--db", str(db), "show"),
        "the store cannot be opened or created there (File name too long); nothing was changed",
    )
    one_line_error(
        run(
            "--db",
            str(db),
            "generate",
            str(write_profile(tmp_path)),
            "-o",
            str(tmp_path / "plan.ics"),
        ),
        "(File name too long)",
    )
    assert not (tmp_path / "plan.ics").exists()


def test_a_300_character_batch_folder_is_one_line(tmp_path: Path) -> None:
    roster = tmp_path / "squad"
    roster.mkdir()
    write_profile(roster)
    one_line_error(
        run("batch", str(roster), "-o", str(tmp_path / LONG), "--jobs", "1"),
        "-o: ",
        "a folder that can be made (File name too long)",
        quiet=False,
    )


def test_a_data_folder_that_is_a_file_is_one_line(tmp_path: Path) -> None:
    blocker = tmp_path / "data"
    blocker.write_text("a file\n", encoding="utf-8")
    env = {"XDG_DATA_HOME": str(blocker), "PERIODIZE_DB": ""}
    result = run(
        "generate", str(write_profile(tmp_path)), "-o", str(tmp_path / "plan.ics"), env=env
    )
    one_line_error(
        result,
        f"{blocker}/periodize/periodize.db: the store cannot be opened or "
        "created there (Not a directory)",
        "point --db or PERIODIZE_DB",
    )
    assert blocker.read_text(encoding="utf-8") == "a file\n"


def test_a_read_only_data_folder_is_one_line(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir(mode=0o555)
    if os.access(data, os.W_OK):
        pytest.skip("this user may write into a read-only folder (root)")
    result = run("show", env={"XDG_DATA_HOME": str(data), "PERIODIZE_DB": ""})
    one_line_error(result, "the store cannot be opened or created there (Permission denied)")


def test_a_store_locked_by_another_program_is_busy_not_damaged(
    stored: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from planner.store import database as store_module

    monkeypatch.setattr(store_module, "BUSY_TIMEOUT_S", 0.05)  # how long to wait, not a limit
    db = tmp_path / "store.db"
    db.write_bytes(stored.read_bytes())
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        for args in (["show"], ["history"], ["missed", "2027-01-13"]):
            line = one_line_error(
                run("--db", str(db), *args),
                f"{db}: the store is busy",
                "nothing was changed; try again when it has finished",
                code=3,
            )
            assert "not a readable" not in line and "point --db" not in line
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert run("--db", str(db), "history").exit_code == 0


# --- CalDAV servers that stall, never stop, or answer nonsense ----------------------------------


class Misbehaving(socketserver.ThreadingTCPServer):
    """A local HTTP server that misbehaves in one way (``mode``), bounded by byte counts: it
    stops on its own after ``limit`` bytes of body, so a client that never gives up ends the
    test with a wrong answer, not a hang. ``sent`` counts the body bytes it sent."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, mode: str, limit: int) -> None:
        super().__init__(("127.0.0.1", 0), _Misbehave)
        self.mode, self.limit, self.sent, self.connections = mode, limit, 0, 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/dav/"


MALFORMED = b'<?xml version="1.0"?><d:multistatus xmlns:d="DAV:"><d:response>'


class _Misbehave(socketserver.BaseRequestHandler):
    server: Misbehaving

    def handle(self) -> None:
        self.server.connections += 1
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = self.request.recv(65536)
            if not chunk:
                return
            data += chunk
        method = data.split(b" ", 1)[0]
        server, send = self.server, self.request.sendall
        dav = b"DAV: 1, 2, calendar-access\r\n"
        try:
            if server.mode == "500":
                send(
                    b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 5\r\n"
                    b"Connection: close\r\n\r\noops!"
                )
            elif server.mode in ("malformed", "empty") and method == b"OPTIONS":
                # One request per connection here, so say so: a client that kept this
                # connection for its next request would meet a closed socket instead.
                send(b"HTTP/1.1 200 OK\r\n" + dav + b"Content-Length: 0\r\n"
                     b"Connection: close\r\n\r\n")
            elif server.mode in ("malformed", "empty"):
                body = MALFORMED if server.mode == "malformed" else b""
                send(
                    b"HTTP/1.1 207 Multi-Status\r\nContent-Type: application/xml\r\n"
                    b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(body) + body
                )
            elif server.mode == "drip":  # one byte at a time, each well inside the
                send(b"HTTP/1.1 200 OK\r\n" + dav + b"Content-Length: 100000\r\n\r\n")
                while server.sent < server.limit:  # per-read timeout
                    send(b" ")
                    server.sent += 1
                    time.sleep(0.05)
            elif server.mode == "endless":
                send(b"HTTP/1.1 207 Multi-Status\r\n" + dav + b"Transfer-Encoding: chunked\r\n\r\n")
                block = b"<d:response/>" * 5000
                while server.sent < server.limit:
                    send(b"%x\r\n" % len(block) + block + b"\r\n")
                    server.sent += len(block)
                send(b"0\r\n\r\n")
        except OSError:  # the client hung up: what a client that gives up does
            pass


@pytest.fixture
def misbehaving(request: pytest.FixtureRequest) -> Iterator[Misbehaving]:
    mode, limit = request.param
    server = Misbehaving(mode, limit)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def small_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    """A deadline of 1 s (how long to wait for a stalled server, not a limit on periodize's
    speed: every exchange here fails) and answers of at most 1 MB."""
    from planner.calendars import caldav_client

    monkeypatch.setattr(caldav_client, "DEADLINE_S", 1.0)
    monkeypatch.setattr(caldav_client, "MAX_RESPONSE_BYTES", 1_000_000)
    monkeypatch.setenv("PERIODIZE_CALDAV_PASSWORD", "s3cret-pass")


SERVERS = [
    (
        ("drip", 2_000),
        "the exchange did not finish within 1 s (the server is too slow or has stalled)",
    ),
    (("endless", 64_000_000), "an answer was over 1 MB; it was not read"),
    (("malformed", 0), "the server's answer is not CalDAV"),
    (("empty", 0), "the server's answer is not valid CalDAV (AttributeError"),
    (("500", 0), "the server failed (500 Internal Server Error); try again later"),
]


@pytest.mark.parametrize(
    ("misbehaving", "words"),
    SERVERS,
    indirect=["misbehaving"],
    ids=[mode for (mode, _), _ in SERVERS],
)
@pytest.mark.slow
def test_sync_against_a_misbehaving_server_is_one_line_exit_3(
    misbehaving: Misbehaving, words: str, small_limits: None, stored: Path, tmp_path: Path
) -> None:
    db = tmp_path / "store.db"
    db.write_bytes(stored.read_bytes())
    result = run("--db", str(db), "sync", "--url", misbehaving.url, "--user", "sam")
    line = one_line_error(result, f"CalDAV server {misbehaving.url}: {words}", code=3)
    assert "not a CalDAV server" not in line and "s3cret-pass" not in line
    assert misbehaving.sent < max(misbehaving.limit, 1)  # the client hung up first


@pytest.mark.parametrize(
    ("misbehaving", "words"), SERVERS[:2], indirect=["misbehaving"], ids=["drip", "endless"]
)
@pytest.mark.slow
def test_busy_caldav_against_a_misbehaving_server_is_one_line_exit_3(
    misbehaving: Misbehaving, words: str, small_limits: None, tmp_path: Path
) -> None:
    profile = write_profile(tmp_path)
    with profile.open("a", encoding="utf-8") as handle:
        handle.write(
            f'\n[[busy_caldav]]\nurl = "{misbehaving.url}"\nuser = "sam"\ncalendar = "Work"\n'
        )
    result = run(
        "--db", str(tmp_path / "s.db"), "generate", str(profile), "-o", str(tmp_path / "plan.ics")
    )
    one_line_error(result, f"CalDAV server {misbehaving.url}: {words}", code=3)
    assert misbehaving.sent < misbehaving.limit
    assert not (tmp_path / "plan.ics").exists() and not (tmp_path / "s.db").exists()


def test_the_deadline_timer_is_disarmed_after_the_exchange(
    small_limits: None, stored: Path, tmp_path: Path
) -> None:
    """After a refused exchange no alarm is left to go off later in the program."""
    import signal

    server = Misbehaving("500", 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        run("--db", str(stored), "sync", "--url", server.url, "--user", "sam")
    finally:
        server.shutdown()
        server.server_close()
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
    assert signal.getsignal(signal.SIGALRM) in (signal.SIG_DFL, signal.SIG_IGN, None)


# --- signals: every way of ending periodize ends what it started ------------------------------


def _processes() -> dict[int, tuple[int, str]]:
    """pid -> (parent pid, state) of every process, from /proc."""
    table = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text(encoding="utf-8").rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue
            table[int(entry.name)] = (int(fields[1]), fields[0])
    return table


def descendants(pid: int) -> set[int]:
    """The live (not zombie) processes below ``pid``."""
    table = _processes()
    found: set[int] = set()
    todo = [pid]
    while todo:
        parent = todo.pop()
        for child, (ppid, state) in table.items():
            if ppid == parent and state not in "ZX" and child not in found:
                found.add(child)
                todo.append(child)
    return found


def alive(pids: set[int]) -> set[int]:
    table = _processes()
    return {pid for pid in pids if pid in table and table[pid][1] not in "ZX"}


def wait_for(condition: Callable[[], bool], what: str, checks: int = 6000) -> None:
    """Poll ``condition`` a bounded number of times (the pause is only to yield the CPU)."""
    for _ in range(checks):
        if condition():
            return
        time.sleep(0.01)
    pytest.fail(f"never saw {what} in {checks} checks")


needs_proc = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")
SIGNALS = [
    (signal.SIGTERM, 143, "Stopped by SIGTERM"),
    (signal.SIGHUP, 129, "Stopped by SIGHUP"),
    (signal.SIGINT, 130, "Interrupted"),
]


def _stalled_profile(folder: Path, server: Misbehaving, name: str = "profile") -> Path:
    """A profile whose busy time comes from ``server``, which stalls: the command is then
    waiting at a known place when it is signalled."""
    path = write_profile(folder).rename(folder / f"{name}.toml")
    with path.open("a", encoding="utf-8") as handle:
        handle.write(f'\n[[busy_caldav]]\nurl = "{server.url}"\nuser = "sam"\ncalendar = "Work"\n')
    return path


def _signalled(
    args: list[str], server: Misbehaving, connections: int, sig: signal.Signals, tmp_path: Path
) -> tuple[int, str, set[int]]:
    """Run periodize with ``args`` in a fresh Python, wait until ``server`` holds
    ``connections`` stalled requests, send ``sig``; return the exit code, stderr and the
    processes it had started by then."""
    env = {**os.environ, "PERIODIZE_CALDAV_PASSWORD": "pw", "PERIODIZE_DB": str(tmp_path / "s.db")}
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "cli.py"), *args],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_for(
            lambda: server.connections >= connections or process.poll() is not None,
            f"{connections} requests",
        )
        started = descendants(process.pid)
        process.send_signal(sig)
        _, err = process.communicate(timeout=300)  # a hang guard, not a limit on speed
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    return process.returncode, err, started


@needs_proc
@pytest.mark.parametrize(("sig", "code", "words"), SIGNALS, ids=[s.name for s, _, _ in SIGNALS])
@pytest.mark.slow
def test_a_signal_to_batch_ends_its_workers_and_resource_tracker(
    tmp_path: Path, sig: signal.Signals, code: int, words: str
) -> None:
    from planner.workflows.batch import usable_cores

    server = Misbehaving("drip", 10**9)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    roster = tmp_path / "squad"
    roster.mkdir()
    for name in ("ann", "bob", "cat", "dan"):
        _stalled_profile(roster, server, name)
    workers = min(2, usable_cores())
    try:
        returncode, err, started = _signalled(
            ["batch", str(roster), "-o", str(tmp_path / "plans"), "--jobs", "2"],
            server,
            workers,
            sig,
            tmp_path,
        )
    finally:
        server.shutdown()
        server.server_close()
    assert returncode == code, err
    assert (
        err.strip()
        .splitlines()[-1]
        .startswith(f"{words}: athletes already planned keep their files")
    ), err
    assert "Traceback" not in err
    if workers > 1:
        assert len(started) >= workers + 1, started  # the workers and the resource tracker
    wait_for(lambda: not alive(started), "every process batch started end", checks=3000)


_SIGNAL_TO_A_POOL_THREAD = """
import signal, sys, threading, time
from planner.workflows import batch

class Stopped(KeyboardInterrupt):
    pass

def stop(signum, frame):
    raise Stopped(signum)

signal.signal(signal.SIGTERM, stop)

def waiting():   # the main thread blocked in the pool's wait for an athlete to finish
    frame = sys._current_frames().get(threading.main_thread().ident)
    return (frame is not None and frame.f_code.co_name == "wait"
            and frame.f_code.co_filename.endswith("threading.py")
            and any(f.f_code.co_name == "_run_pool" for f in iter_frames(frame)))

def iter_frames(frame):
    while frame is not None:
        yield frame
        frame = frame.f_back

def aim():   # then the signal goes to the pool's manager thread, not to the main thread
    while True:
        found = [t for t in threading.enumerate() if "ExecutorManager" in type(t).__name__
                 and t.ident is not None]
        if found and waiting():
            signal.pthread_kill(found[0].ident, signal.SIGTERM)
            return
        time.sleep(0.01)

threading.Thread(target=aim, daemon=True).start()
try:
    batch._run_pool([10**6, 10**6], 2, lambda *_: None, plan=time.sleep)   # never finish
except Stopped:
    print("stopped")
"""


@pytest.mark.skipif(not hasattr(signal, "pthread_kill"), reason="needs pthread_kill")
def test_a_signal_the_kernel_gives_a_pool_thread_still_ends_batch() -> None:
    """The kernel gives a process's signal to any of its threads: one delivered to the process
    pool's manager thread while the main thread waits for athletes that never finish still ends
    the batch."""
    done = subprocess.run([sys.executable, "-c", _SIGNAL_TO_A_POOL_THREAD], cwd=ROOT,
                          capture_output=True, text=True,
                          timeout=120)  # a hang guard, not a limit on speed
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "stopped"


@needs_proc
@pytest.mark.parametrize(("sig", "code", "words"), SIGNALS, ids=[s.name for s, _, _ in SIGNALS])
@pytest.mark.parametrize("command", ["generate", "sync"])
@pytest.mark.slow
def test_a_signal_to_generate_or_sync_is_a_clean_stop(
    tmp_path: Path, stored: Path, command: str, sig: signal.Signals, code: int, words: str
) -> None:
    server = Misbehaving("drip", 10**9)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    db = tmp_path / "s.db"
    if command == "generate":
        args = ["generate", str(_stalled_profile(tmp_path, server)), "-o", "plan.ics"]
    else:
        db.write_bytes(stored.read_bytes())
        args = ["sync", "--url", server.url, "--user", "sam"]
    before = db.read_bytes() if db.exists() else b""
    try:
        returncode, err, started = _signalled(args, server, 1, sig, tmp_path)
    finally:
        server.shutdown()
        server.server_close()
    assert returncode == code, err
    assert (
        err == f"{words}: the store and files hold the previous plan or the new one, never "
        "part of either.\n"
    )
    assert (db.read_bytes() if db.exists() else b"") == before
    assert not (tmp_path / "plan.ics").exists()
    wait_for(lambda: not alive(started), "every process it started end", checks=3000)


# --- untrusted text -----------------------------------------------------------------------------

FORMULAS = ["=cmd|' /C calc'!A0", "+SUM(1+1)", "-2+3", "@SUM(A1)"]


def test_formula_names_are_neutralised_in_summary_csv(tmp_path: Path) -> None:
    """OWASP CSV injection: each cell a spreadsheet would run is prefixed with a single quote;
    read back by the csv module, the text is the name with that quote in front."""
    from test_batch import HEADER, ROWS

    rows = [f'"{name.replace(chr(34), chr(34) * 2)}"' + ROWS[0][len("Sam Smith"):]
            for name in FORMULAS]
    roster = tmp_path / "roster.csv"
    roster.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    out = tmp_path / "plans"
    result = run("batch", str(roster), "-o", str(out), "--jobs", "1")
    assert result.exit_code == 0, result.output
    assert [row["athlete"] for row in summary_rows(out)] == ["'" + name for name in FORMULAS]
    text = (out / "summary.csv").read_text(encoding="utf-8")
    assert not any(line.startswith(("=", "+", "-", "@")) for line in text.splitlines())


def test_csv_cells_are_made_spreadsheet_safe_and_numbers_kept() -> None:
    import pandas as pd

    from planner.calendars.export.tables import csv_text

    frame = pd.DataFrame({"text": [*FORMULAS, "\tTab", "\rCR", "plain", "-"],
                          "number": [-1, 2, 3, 4, 5, 6, 7, 8]})
    rows = list(csv.DictReader(io.StringIO(csv_text(frame), newline="")))
    assert [r["text"] for r in rows] == [*("'" + f for f in FORMULAS), "'\tTab", "'\rCR",
                                         "plain", "'-"]
    assert [r["number"] for r in rows] == ["-1", "2", "3", "4", "5", "6", "7", "8"]


def test_the_plan_csv_export_goes_through_the_same_guard(stored: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    from planner.calendars.export import tables

    seen: list[int] = []
    guard = tables.spreadsheet_safe

    def counting(cell: object) -> object:
        seen.append(1)
        return guard(cell)

    monkeypatch.setattr(tables, "spreadsheet_safe", counting)
    result = run("--db", str(stored), "export", "--format", "csv")
    assert result.exit_code == 0 and seen       # every text cell passed through the guard


@pytest.mark.parametrize("name", ["Sam\x1b[2J", "Sam\x00", "Sa\x85m", "Sam\u202eevil",
                                  "Sa\x07m", "A\u2028B"])
def test_control_characters_in_a_name_are_refused_at_load(tmp_path: Path, name: str) -> None:
    profile = write_profile(tmp_path, name=name)
    result = run("--db", str(tmp_path / "s.db"), "generate", str(profile), "-o",
                 str(tmp_path / "plan.ics"))
    line = one_line_error(result, f"name: {name!r} is not accepted; text without control "
                                  f"characters (found U+")
    assert line.isprintable()
    assert not (tmp_path / "s.db").exists()


def test_a_name_with_letters_from_anywhere_is_kept(tmp_path: Path) -> None:
    from planner.store.profile import plain_text

    name = "Zoë O'Brien-Łukasz 李雷 👩‍👩‍👧"
    assert plain_text(name, "name") == name


def test_control_characters_in_calendar_names_are_refused(tmp_path: Path, stored: Path) -> None:
    profile = write_profile(tmp_path)
    with profile.open("a", encoding="utf-8") as handle:
        handle.write('\n[[busy_caldav]]\nurl = "http://127.0.0.1:9/"\nuser = "sam"\n'
                     'calendar = "Work\\u001b]0;pwned\\u0007"\n')
    one_line_error(run("--db", str(tmp_path / "s.db"), "generate", str(profile)),
                   "busy_caldav[0].calendar: ", "text without control characters (found U+001B)")
    one_line_error(run("--db", str(stored), "sync", "--url", "http://127.0.0.1:9/", "--user",
                       "sam", "--calendar", "Plan\x1b[31m",
                       env={"PERIODIZE_CALDAV_PASSWORD": "pw"}),
                   "--calendar: 'Plan\\x1b[31m' is not accepted")


def test_a_roster_name_with_escapes_is_a_bad_row_shown_escaped(tmp_path: Path) -> None:
    from test_batch import HEADER, ROWS

    roster = tmp_path / "roster.csv"
    roster.write_text(f"{HEADER}\nEvil\x1b[2J{ROWS[0][len('Sam Smith'):]}\n{ROWS[0]}\n",
                      encoding="utf-8")
    result = run("batch", str(roster), "-o", str(tmp_path / "plans"), "--jobs", "1")
    assert result.exit_code == 2, result.output
    assert "\x1b" not in result.output
    assert "'Evil\\x1b[2J': bad input: name: " in result.output


# --- small contract slips -----------------------------------------------------------------------


@pytest.mark.parametrize(("zone", "city"), [
    ("EST", "America/New_York"), ("est", "America/New_York"), ("EST5EDT", "America/New_York"),
    ("MST", "America/Denver"), ("HST", "Pacific/Honolulu"), ("PST", "America/Los_Angeles"),
    ("PST8PDT", "America/Los_Angeles"), ("CET", "Europe/Paris")])
def test_legacy_and_fixed_offset_zones_are_refused_with_the_city(tmp_path: Path, zone: str,
                                                                city: str) -> None:
    one_line_error(run("--db", str(tmp_path / "s.db"), "generate",
                       str(write_profile(tmp_path, timezone=zone))),
                   f"timezone: {zone!r} is not accepted; a city zone, e.g. {city}")


def test_utc_and_explicit_offsets_stay_accepted() -> None:
    from factories import make_profile

    assert make_profile(timezone="UTC").timezone == "UTC"
    assert make_profile(timezone="Etc/GMT+5").timezone == "Etc/GMT+5"


def test_an_unknown_zone_is_not_offered_a_legacy_name() -> None:
    with pytest.raises(InputError) as caught:
        from factories import make_profile

        make_profile(timezone="PST8PD")
    assert "PST8PDT" not in str(caught.value)


def test_db_is_accepted_after_the_command(stored: Path, tmp_path: Path) -> None:
    before = run("--db", str(stored), "history")
    after = run("history", "--db", str(stored))
    assert after.exit_code == 0 and after.output == before.output
    # After the command, it wins over the one before (and over PERIODIZE_DB).
    wins = run("--db", str(tmp_path / "other.db"), "history", "--db", str(stored),
               env={"PERIODIZE_DB": str(tmp_path / "env.db")})
    assert wins.exit_code == 0 and wins.output == before.output
    out = tmp_path / "plan.csv"
    assert run("export", "-o", str(out), "--format", "csv", "--db", str(stored)).exit_code == 0
    assert out.read_text(encoding="utf-8").startswith("week,date")


def test_batch_exit_codes(tmp_path: Path) -> None:
    """0 all planned; 1 some athlete had no plan (none bad); 2 some row was bad input."""
    from test_batch import HEADER, ROWS

    codes = {}
    for label, rows in (("ok", ROWS[:1]), ("no plan", [ROWS[0], ROWS[3]]),
                        ("bad", [ROWS[0], ROWS[2], ROWS[3]])):
        roster = tmp_path / f"{label}.csv"
        roster.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
        result = run("batch", str(roster), "-o", str(tmp_path / label), "--jobs", "1")
        assert (tmp_path / label / "summary.csv").exists()
        codes[label] = result.exit_code
    assert codes == {"ok": 0, "no plan": 1, "bad": 2}


def test_batch_says_when_jobs_are_capped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from test_batch import HEADER, ROWS

    from planner.workflows import batch

    monkeypatch.setattr(batch, "usable_cores", lambda: 1)
    roster = tmp_path / "roster.csv"
    roster.write_text("\n".join([HEADER, ROWS[0], ROWS[1]]) + "\n", encoding="utf-8")
    result = run("batch", str(roster), "-o", str(tmp_path / "plans"), "--jobs", "64")
    assert result.exit_code == 0, result.output
    assert "--jobs 64: planned with 1 worker process, capped at the 1 usable core." in \
        result.output.splitlines()


def test_worker_count_is_capped_by_cores_and_athletes(monkeypatch: pytest.MonkeyPatch) -> None:
    from planner.workflows import batch

    monkeypatch.setattr(batch, "usable_cores", lambda: 2)
    assert batch.worker_count(64, 20) == (2, "the 2 usable cores")
    assert batch.worker_count(64, 1) == (1, "the 1 athlete to plan")
    assert batch.worker_count(2, 20) == (2, "")
    assert batch.worker_count(None, 20) == (2, "")
    assert batch.worker_count(None, 0) == (1, "")


def test_usable_cores_follow_the_affinity_mask() -> None:
    from planner.workflows.batch import usable_cores

    if hasattr(os, "sched_getaffinity"):
        assert usable_cores() == len(os.sched_getaffinity(0))
    assert 1 <= usable_cores() <= (os.cpu_count() or 1)


def test_a_rest_day_with_availability_says_the_rest_day_wins(tmp_path: Path) -> None:
    profile = write_profile(tmp_path, rest_days=["sat", "sun"])   # Saturday has 09:00-12:00
    result = run("--db", str(tmp_path / "s.db"), "generate", str(profile), "-o",
                 str(tmp_path / "plan.ics"))
    assert result.exit_code == 0, result.output
    assert ("Note: Saturday is a rest day and also has availability (09:00-12:00): the rest day "
            "wins, no sessions on Saturdays.") in result.output.splitlines()


@pytest.mark.slow
def test_a_window_opening_in_the_night_is_noted_once(tmp_path: Path) -> None:
    """Free all day means sessions at midnight (the earliest start wins): say so, in one line
    naming the days; a plan with evening windows gets no such line."""
    days = {d: ["00:00-24:00"] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
    profile = write_profile(tmp_path, availability=days, rest_days=["sun"], weeks=2)
    result = run("--db", str(tmp_path / "s.db"), "generate", str(profile), "-o",
                 str(tmp_path / "plan.ics"))
    assert result.exit_code == 0, result.output
    notes = [line for line in result.output.splitlines() if "in the night" in line]
    assert notes == ["Note: Monday, Tuesday, Wednesday, Thursday, Friday and Saturday have "
                     "windows opening before 05:00: sessions start as early as a window allows, "
                     "so they may be planned in the night. If that is not what you meant, give "
                     "the hours you would train (e.g. 07:00-21:00)."]
    plain = run("--db", str(tmp_path / "t.db"), "generate", str(write_profile(tmp_path)), "-o",
                str(tmp_path / "plain.ics"))
    assert plain.exit_code == 0 and "in the night" not in plain.output


@pytest.mark.parametrize("start", ["9999-11-01", "0001-01-01"])
def test_a_start_far_from_today_is_refused_with_the_range(tmp_path: Path, start: str) -> None:
    profile = tmp_path / "profile.toml"
    profile.write_text(write_profile(tmp_path).read_text(encoding="utf-8").replace(
        "start = 2027-01-04", f"start = {start}"), encoding="utf-8")
    one_line_error(run("--db", str(tmp_path / "s.db"), "generate", str(profile)),
                   f"start: '{start}' is not accepted; a date from ", "(within 10 years of today, ")


def test_start_checks_and_notes_take_today_from_the_caller() -> None:
    """The clock is read in cli.py only: the profile reader is given today."""
    from factories import make_profile, profile_data

    from planner.store.profile import profile_from_dict, profile_notes

    today = dt.date(2030, 6, 1)
    with pytest.raises(InputError, match=r"a date from 2020-06-01 to 2040-06-01"):
        profile_from_dict(profile_data(start=dt.date(2045, 1, 2)), today=today)
    past = make_profile(start=dt.date(2027, 1, 4))
    assert profile_notes(past, today) == [
        "the plan ran from 2027-01-04 to 2027-02-28, before today (2030-06-01): every session "
        "is in the past. To plan ahead, set start to a coming Monday."]
    assert "4 weeks before today" in profile_notes(past, dt.date(2027, 2, 1))[0]
    assert profile_notes(past, dt.date(2027, 1, 1)) == []


def test_a_batch_row_far_from_today_is_a_bad_row(tmp_path: Path) -> None:
    from test_batch import HEADER, ROWS

    roster = tmp_path / "roster.csv"
    roster.write_text(f"{HEADER}\n{ROWS[0].replace('2027-01-04', '9999-11-01')}\n",
                      encoding="utf-8")
    result = run("batch", str(roster), "-o", str(tmp_path / "plans"), "--jobs", "1")
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "start: '9999-11-01' is not accepted" in summary_rows(tmp_path / "plans")[0]["reason"]


@needs_proc
@pytest.mark.slow
def test_a_worker_killed_by_the_system_is_one_line_exit_3(tmp_path: Path) -> None:
    """SIGKILL to one worker (as the kernel's out-of-memory killer sends): batch ends the other
    workers and says so in one line, exit 3, not a BrokenProcessPool traceback."""
    from planner.workflows.batch import usable_cores

    if usable_cores() < 2:
        pytest.skip("one usable core: batch plans in its own process")
    server = Misbehaving("drip", 10**9)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    roster = tmp_path / "squad"
    roster.mkdir()
    for name in ("ann", "bob", "cat"):
        _stalled_profile(roster, server, name)
    env = {**os.environ, "PERIODIZE_CALDAV_PASSWORD": "pw"}
    process = subprocess.Popen([sys.executable, str(ROOT / "cli.py"), "batch", str(roster), "-o",
                                str(tmp_path / "plans"), "--jobs", "2"], cwd=tmp_path, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_for(lambda: server.connections >= 2, "2 requests")
        started = descendants(process.pid)
        workers = [pid for pid in started
                   if b"resource_tracker" not in Path(f"/proc/{pid}/cmdline").read_bytes()]
        os.kill(workers[0], signal.SIGKILL)
        _, err = process.communicate(timeout=300)    # a hang guard, not a limit on speed
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
        server.shutdown()
        server.server_close()
    assert process.returncode == 3, err
    assert err.strip().splitlines()[-1] == (
        "Error: batch: a worker process died (killed by the system, perhaps for memory; try "
        "fewer --jobs); athletes already planned keep their files"), err
    assert "Traceback" not in err
    wait_for(lambda: not alive(started), "every process batch started end", checks=3000)
