"""Calendars in and out: exporting a plan (``.ics``, JSON, CSV), reading busy calendars
(files, URLs, CalDAV), CalDAV and Google sync, and the subscription feed. A stage: it imports
the store's data, never a workflow or a command."""
