"""`voice-agent bench latency`: the production path timed at a WebRTC caller's ear."""
