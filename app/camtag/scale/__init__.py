"""Scale-out: analyse many files on a Ray cluster (or in-process) straight into a shared library.

:mod:`camtag.scale.tasks` is the unit of work (one file: decode + shots + motion, each shot written
to the library by the task itself, resumable); :mod:`camtag.scale.part_tasks` splits a long
file into parts (plan, one task per part, a finishing task that checks the seams);
:mod:`camtag.scale.runner` spreads files over Ray tasks with retries, aggregates progress and
reports per file; :mod:`camtag.scale.tagger_actor` holds one reasoner model per Ray actor (one per
GPU) and tags the stored shots one by one. The runs themselves are :mod:`camtag.runs`. Ray is an
optional extra imported only here (``pip install "ray[default]"``).
"""

from camtag.scale.tasks import FileResult, analyze_file

__all__ = ["FileResult", "analyze_file"]
