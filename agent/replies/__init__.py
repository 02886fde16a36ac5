"""Shaping what the caller hears: reply splitting, pipelined synthesis, the phrase cache, quick confirms."""
