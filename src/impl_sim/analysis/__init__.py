"""Analysis of results: summaries, sensitivity, scenario discovery, validation, calibration
and reports."""
