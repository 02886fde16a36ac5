"""Malformed SIP for the trunk-security test: each a SIPp scenario that sends one bad request and leaves."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

_VIA = "Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]"
_FROM = "From: <sip:+13125550142@[local_ip]:[local_port]>;tag=[pid]bad[call_number]"
_TO = "To: <sip:+15550100@[remote_ip]:[remote_port]>"
_GOOD_SDP = "v=0\no=- 1 1 IN IP4 127.0.0.1\ns=-\nc=IN IP4 127.0.0.1\nt=0 0\nm=audio 4000 RTP/AVP 0\na=rtpmap:0 PCMU/8000"

MALFORMED: dict[str, str] = {
    "no call-id or cseq": f"INVITE sip:+15550100@[remote_ip]:[remote_port] SIP/2.0\n{_VIA}\n{_FROM}\n{_TO}\n"
    "Content-Length: 0\n\n",
    "content-length past the body": f"INVITE sip:+15550100@[remote_ip]:[remote_port] SIP/2.0\n{_VIA}\n{_FROM}\n{_TO}\n"
    "Call-ID: [call_id]\nCSeq: 1 INVITE\nContact: <sip:a@[local_ip]:[local_port]>\n"
    f"Content-Type: application/sdp\nContent-Length: 5000\n\n{_GOOD_SDP}\n",
    "garbage sdp": f"INVITE sip:+15550100@[remote_ip]:[remote_port] SIP/2.0\n{_VIA}\n{_FROM}\n{_TO}\n"
    "Call-ID: [call_id]\nCSeq: 1 INVITE\nContact: <sip:a@[local_ip]:[local_port]>\n"
    "Content-Type: application/sdp\nContent-Length: [len]\n\nv=9\nc=IN IP4 not-an-address\nm=audio port RTP/AVP x\n",
    "no codec in common": f"INVITE sip:+15550100@[remote_ip]:[remote_port] SIP/2.0\n{_VIA}\n{_FROM}\n{_TO}\n"
    "Call-ID: [call_id]\nCSeq: 1 INVITE\nContact: <sip:a@[local_ip]:[local_port]>\n"
    "Content-Type: application/sdp\nContent-Length: [len]\n\n"
    + _GOOD_SDP.replace("RTP/AVP 0\na=rtpmap:0 PCMU/8000", "RTP/AVP 99\na=rtpmap:99 NOPE/8000")
    + "\n",
    "huge header": f"OPTIONS sip:+15550100@[remote_ip]:[remote_port] SIP/2.0\n{_VIA}\n{_FROM}\n{_TO}\n"
    f"Call-ID: [call_id]\nCSeq: 1 OPTIONS\nX-Junk: {'A' * 6000}\nContent-Length: 0\n\n",
    "bye outside any dialog": f"BYE sip:+15550100@[remote_ip]:[remote_port] SIP/2.0\n{_VIA}\n{_FROM}\n"
    f"{_TO};tag=nosuchdialog\nCall-ID: [call_id]\nCSeq: 7 BYE\nContent-Length: 0\n\n",
    "bad request line": f"INVITE  SIP/3.0 nonsense\n{_VIA}\nCall-ID: [call_id]\n\n",
}


def send_malformed(name: str, message: str, sip_port: int) -> int:
    """Sends one malformed request with SIPp; SIPp's exit code (it exits whether or not anyone answers)."""
    folder = Path(tempfile.mkdtemp(prefix="sipp-bad-"))
    scenario = folder / "bad.xml"
    scenario.write_text(
        '<?xml version="1.0" encoding="ISO-8859-1" ?>\n'
        f'<scenario name="{name}">\n<send><![CDATA[\n{message}]]></send>\n'
        '<pause milliseconds="300"/>\n</scenario>\n'
    )
    done = subprocess.run(
        ["sipp", "-sf", str(scenario), "-m", "1", "-i", "127.0.0.1", "-p", "0", "-nostdin",
         "-timeout", "10s", f"127.0.0.1:{sip_port}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=folder,
        timeout=20,
        check=False,
    )  # fmt: skip
    shutil.rmtree(folder, ignore_errors=True)
    return done.returncode
