"""Data: the plan and the profile, strict TOML reading, output folders, and the SQLite store
with the athlete's log and its migrations. Imports nothing above it (errors only)."""
