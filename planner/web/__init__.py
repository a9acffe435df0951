"""The web side of ``periodize serve`` (and ``periodize feed``): an ASGI application built on
Starlette with Jinja2 templates, served by uvicorn. The athlete's pages and the calendar feed sit
behind the athlete's secret token; the physio's view behind a password. Every action goes
through ``planner.commands``, the same functions as the CLI. Needs ``pip install
'periodize[web]'``."""

from planner.errors import MissingExtra

INSTALL = "the web server needs its extra: pip install 'periodize[web]'"
MODULES = ("starlette", "jinja2", "uvicorn", "argon2", "itsdangerous", "multipart")


def require_web() -> None:
    """MissingExtra (one line: how to install it) unless the web libraries are installed."""
    import importlib.util

    missing = [m for m in MODULES if importlib.util.find_spec(m) is None]
    if missing:
        raise MissingExtra(f"{INSTALL} (missing: {', '.join(missing)})")
