"""Whole jobs built from the stages: generate a plan, replan one in progress, plan a roster
(batch), on a Dask cluster. Layer: below ``planner.commands``; imports stages and data only."""
