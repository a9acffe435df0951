"""Shared fixtures. The Radicale server fixture lives in its own plugin module."""

from __future__ import annotations

pytest_plugins = ["radicale_fixture", "xandikos_fixture"]
