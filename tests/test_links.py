"""The one address scheme of an athlete's pages (``planner.store.links``): a session's link reads
back as its token and uid whatever they hold, and a bad base URL is refused with the field
named."""

from __future__ import annotations

from urllib.parse import unquote, urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st

from planner.errors import InputError
from planner.store.links import athlete_url, check_base_url, session_url

BASES = st.sampled_from(["https://p.example.org", "https://p.example.org/", "http://127.0.0.1:8000",
                         "https://example.org/coach/periodize/"])


@given(BASES, st.text(min_size=1), st.text(min_size=1))
def test_a_session_link_reads_back_as_its_token_and_uid(base: str, token: str, uid: str) -> None:
    url = session_url(base, token, uid)
    assert url.startswith(base.rstrip("/") + "/a/") and url.isascii()
    parts = urlsplit(url)
    assert not parts.query and not parts.fragment
    prefix = urlsplit(base).path.rstrip("/")
    a, got_token, s, got_uid = parts.path[len(prefix) + 1:].split("/")
    assert (a, s) == ("a", "s") and (unquote(got_token), unquote(got_uid)) == (token, uid)
    assert url.startswith(athlete_url(base, token) + "/s/")


def test_a_real_uid_is_kept_readable() -> None:
    assert (session_url("https://p.example.org/", "tok", "periodize-2027-01-13@periodize")
            == "https://p.example.org/a/tok/s/periodize-2027-01-13%40periodize")


@pytest.mark.parametrize("bad", ["", "p.example.org", "ftp://p.example.org", "https://",
                                 "https://p.example.org/?a=1", "https://p.example.org/#x",
                                 "https://p.exa mple.org", "https://p.example.org/\n"])
def test_a_bad_base_url_names_the_field(bad: str) -> None:
    with pytest.raises(InputError) as error:
        check_base_url("base_url", bad)
    assert str(error.value).startswith("base_url: ") and "http" in str(error.value)


def test_a_good_base_url_loses_only_its_trailing_slash() -> None:
    assert check_base_url("base_url", "https://p.example.org/x/") == "https://p.example.org/x"
