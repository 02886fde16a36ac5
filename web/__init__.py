"""The browser side of the agent: token service, call widget and operator console (docs/web.md)."""
