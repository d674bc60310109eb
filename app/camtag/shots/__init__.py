"""Shot boundary detectors: one module each behind :class:`camtag.shots.base.ShotDetector`."""
