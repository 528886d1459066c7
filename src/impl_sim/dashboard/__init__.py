"""The Solara dashboard for service leaders and teachers (``impl-sim dashboard``).

Pages: What-if (A vs B ensembles), Explore (one live run), Lessons, Parameters. The plain-Python
parts (controls, ensembles, sentences, figures, lessons, live run) import no Solara, so they
serve benchmarks and tests too; the page modules (``app``, ``whatif``, ``explore``,
``lessons``, ``parameters``) need the ``dashboard`` extra.
"""
