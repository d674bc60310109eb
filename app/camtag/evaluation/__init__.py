"""Measuring the taggers against labelled clips (``camtag eval``).

:mod:`.labels` reads CameraBench binary-classification files or a simple clip → positives /
negatives JSON; :mod:`.metrics` scores probabilities (precision, recall, accuracy, AP, macro AP,
reliability and expected calibration error); :mod:`.runner` analyses each clip once with an
engine and turns its tags into per-primitive probabilities (:mod:`camtag.motion.primitives`).
"""
