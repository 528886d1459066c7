"""The Solara dashboard for service leaders and teachers (``impl-sim dashboard``).

Pages: What-if (A vs B ensembles), Plan (bundles of strategies for a budget), Explore (one
live run), Lessons, Parameters. The plain-Python parts (controls, ensembles, sentences,
wording, naming, questions, planning, the shared pool, figures, lessons, live run) import no
Solara, so they serve benchmarks and tests too; the page modules (``app``, ``whatif``,
``plan``, ``explore``, ``lessons``, ``parameters``) need the ``dashboard`` extra.
"""
