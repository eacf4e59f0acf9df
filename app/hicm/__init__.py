"""The High Impact Change Model tied to the data: the maturity self-assessments (a dated record
per assessment of a change, with who assessed it, notes and the evidence shown at the time:
``app.hicm.store``), and the model as the faces show it — each change's evidence from
``app.metrics.hicm``, its assessments and the actions raised against it (``app.hicm.service``).

It sits between the faces and the middle layer: it composes the metrics and the actions store,
and the API and the pages both call it, so they show the same thing.
"""
