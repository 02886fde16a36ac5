"""Provider stand-ins: loopback test doubles of Deepgram STT, OpenAI chat and OpenAI speech.

`launch(...)` starts them in a subprocess; `python -m evals.standins serve` runs them from a shell.
"""

from evals.standins.process import StandInError, StandInProcess, launch

__all__ = ["StandInError", "StandInProcess", "launch"]
