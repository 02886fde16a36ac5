"""Cuts streamed reply text into the pieces synthesized one request each: a first clause, then sentences."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

SENTENCE_END = re.compile(r"[.!?…]+[\"')\]]*\s+(?=[A-Z0-9\"'(])|\n+")
"""A sentence ends at . ! ? before a capital or a digit: "9 a.m. on Saturday" stays whole."""
CLAUSE_END = re.compile(r"[,;:—–]\s+")


@dataclass
class ReplySplitter:
    """Streamed text in, speakable pieces out, in order; `flush` returns whatever is left.

    The reply's first piece may end at a clause (a comma after `first_clause_min_words` words):
    the caller's wait for a cloud voice is the synthesis of the first piece, and a clause is
    there ~100 ms sooner than its sentence at a cloud LLM's 60-100 tokens a second. Later pieces
    are whole sentences, which a cloud voice reads with better prosody, and whose synthesis
    overlaps the playback of the piece before.
    """

    first_clause_min_words: int = 3
    _buffer: str = ""
    _emitted: int = field(default=0)

    def push(self, text: str) -> list[str]:
        self._buffer += text
        pieces: list[str] = []
        while (piece := self._next_piece()) is not None:
            pieces.append(piece)
        return pieces

    def flush(self) -> list[str]:
        rest, self._buffer = self._buffer, ""
        if not rest.strip():
            return []
        self._emitted += 1
        return [rest]

    def _next_piece(self) -> str | None:
        end = self._piece_end()
        if end is None:
            return None
        piece, self._buffer = self._buffer[:end], self._buffer[end:]
        self._emitted += 1
        return piece

    def _piece_end(self) -> int | None:
        sentence = SENTENCE_END.search(self._buffer)
        if self._emitted == 0:
            for clause in CLAUSE_END.finditer(self._buffer):
                if sentence is not None and clause.start() > sentence.start():
                    break
                if len(self._buffer[: clause.start()].split()) >= self.first_clause_min_words:
                    return clause.end()
        return sentence.end() if sentence is not None else None
