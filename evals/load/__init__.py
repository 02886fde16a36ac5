"""The load bench's parts: levels and the stop rule, the crowd of callers, the worker under test."""
