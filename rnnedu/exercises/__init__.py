"""Exercise checkers: one module per lesson (``lesson01`` …). Each ``check_*`` function runs the
learner's code on cases chosen to expose the common mistakes and returns a :class:`Feedback` whose
message is a targeted hint, not just "wrong". The lessons show the hint for a deliberately naive start.
"""

from rnnedu.exercises._feedback import Feedback

__all__ = ["Feedback"]
