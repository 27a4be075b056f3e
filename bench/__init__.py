"""``make bench``: the measured targets of the design (``/work/shared/design.md``, "Measured targets").

Run ``python -m bench`` from the repository root (``make bench`` does, after setting up the venv and the
system packages). One module per measurement family; each returns :class:`bench.results.Result` rows.
Nothing here is collected by ``make test`` (pytest's ``testpaths`` is ``tests``): the figures are reported,
never asserted, so a missed target does not fail the run.
"""
