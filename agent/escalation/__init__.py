"""Escalation: when the agent hands the call to a person, and how (policy, human line, transfer,
voicemail and callback). The contract with every human line is docs/operator-protocol.md."""
