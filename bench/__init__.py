"""The load benchmark: ``make bench`` (``python -m bench.run``); see docs/production.md."""
