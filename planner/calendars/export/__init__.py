"""Writers for the plan: iCalendar (``ics``), JSON and CSV (``tables``), atomic files."""
