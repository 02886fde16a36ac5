"""Phone calls through livekit-sip: the local SIP stack, provisioning, caller details, DTMF, phone legs."""
