"""A phone for the SIP tests: SIPp does the signalling (scenarios written per call), RtpPhone the media."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from tests.e2e.sip.rtp import RtpPhone

_HEADERS = """Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: "Caller" <sip:{caller}@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
To: <sip:{callee}@[remote_ip]:[remote_port]>
Call-ID: [call_id]
Contact: <sip:{caller}@[local_ip]:[local_port]>
Max-Forwards: 70
User-Agent: voice-agent-tests SIPp"""

_SDP = """v=0
o=- 1 1 IN IP4 127.0.0.1
s=-
c=IN IP4 127.0.0.1
t=0 0
m=audio {rtp_port} RTP/AVP 0 101
a=rtpmap:0 PCMU/8000
a=rtpmap:101 telephone-event/8000
a=fmtp:101 0-16
a=ptime:20
a=sendrecv"""

_INVITE = """<nop><action><assignstr assign_to="invite_cseq" value="{cseq}"/></action></nop>
<send retrans="500"><![CDATA[
INVITE sip:{callee}@[remote_ip]:[remote_port] SIP/2.0
{headers}
CSeq: {cseq} INVITE
{auth}Content-Type: application/sdp
Content-Length: [len]

{sdp}
]]></send>"""

_ACK_FAILURE = """<send><![CDATA[
ACK sip:{callee}@[remote_ip]:[remote_port] SIP/2.0
[last_Via:]
[last_From:]
[last_To:]
[last_Call-ID:]
CSeq: {cseq} ACK
Max-Forwards: 70
Content-Length: 0

]]></send>"""

_PROGRESS = """<recv response="100" optional="true"/>
<recv response="180" optional="true"><action><exec command="echo ringing >> {events}"/></action></recv>
<recv response="183" optional="true"/>"""

_ANSWERED = """<recv response="200" rrs="true" timeout="{answer_ms}" ontimeout="no_answer">
  <action>
    <ereg regexp="m=audio ([0-9]+)" search_in="body" check_it="true" assign_to="all,rtp"/>
    <exec command="echo answered [$rtp] [call_id] >> {events}"/>
  </action>
</recv>"""

_FINAL_FAILURE = """<recv response="{code}" optional="true" next="failed_{cseq}">
  <action><exec command="echo failed {code} >> {events}"/></action>
</recv>"""


_IN_DIALOG = """<send{retrans}><![CDATA[
{method} sip:{callee}@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: "Caller" <sip:{caller}@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
To: <sip:{callee}@[remote_ip]:[remote_port]>[peer_tag_param]
Call-ID: [call_id]
[routes]
CSeq: {cseq} {method}
Max-Forwards: 70
Content-Length: 0

]]></send>"""

_REFER_DONE = """<send><![CDATA[
NOTIFY sip:{callee}@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: "Caller" <sip:{caller}@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
To: <sip:{callee}@[remote_ip]:[remote_port]>[peer_tag_param]
Call-ID: [call_id]
[routes]
CSeq: 11 NOTIFY
Max-Forwards: 70
Event: refer
Subscription-State: terminated;reason=noresource
Content-Type: message/sipfrag
Content-Length: [len]

SIP/2.0 200 OK
]]></send>"""

_REPLY_OK = """<send><![CDATA[
SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:]
[last_Call-ID:]
[last_CSeq:]
Content-Length: 0

]]></send>"""


def _scenario(
    *,
    callee: str,
    caller: str,
    rtp_port: int,
    events: Path,
    answer_ms: int,
    talk_ms: int,
    username: str,
    password: str,
) -> str:
    headers = _HEADERS.format(caller=caller, callee=callee)
    sdp = _SDP.format(rtp_port=rtp_port)
    failure_codes = (401, 403, 404, 408, 480, 486, 488, 500, 503, 603)
    parts = ['<?xml version="1.0" encoding="ISO-8859-1" ?>', '<scenario name="voice-agent phone">']
    parts.append(_INVITE.format(callee=callee, headers=headers, cseq=1, auth="", sdp=sdp))
    parts.append(_PROGRESS.format(events=events))
    parts.append(
        '<recv response="407" optional="true" auth="true" next="auth">'
        f'<action><exec command="echo challenged 407 >> {events}"/></action></recv>'
    )
    parts += [_FINAL_FAILURE.format(code=code, cseq=1, events=events) for code in failure_codes]
    parts.append(_ANSWERED.format(answer_ms=answer_ms, events=events))
    parts.append('<nop next="answered"/>')
    # the digest challenge: ACK the 407, then the same INVITE with credentials
    parts.append('<label id="auth"/>')
    parts.append(_ACK_FAILURE.format(callee=callee, cseq=1))
    auth = f"[authentication username={username} password={password}]\n"
    parts.append(_INVITE.format(callee=callee, headers=headers, cseq=2, auth=auth, sdp=sdp))
    parts.append(_PROGRESS.format(events=events))
    parts += [_FINAL_FAILURE.format(code=code, cseq=2, events=events) for code in (407, *failure_codes)]
    parts.append(_ANSWERED.format(answer_ms=answer_ms, events=events))
    parts.append('<label id="answered"/>')
    parts.append(
        _IN_DIALOG.format(method="ACK", cseq="[$invite_cseq]", callee=callee, caller=caller, retrans="")
    )
    # the call lasts until the far end hangs up, or the test asks this phone to (a MESSAGE in the dialog)
    parts.append('<label id="talking"/>')
    parts.append(
        '<recv request="BYE" optional="true" next="remote_bye">'
        f'<action><exec command="echo remote_bye >> {events}"/></action></recv>'
    )
    parts.append(
        '<recv request="REFER" optional="true" next="refer"><action>'
        '<ereg regexp=".*" search_in="hdr" header="Refer-To:" check_it="true" assign_to="target"/>'
        f"<exec command=\"echo 'refer [$target]' >> {events}\"/></action></recv>"
    )
    parts.append(f'<recv request="MESSAGE" timeout="{talk_ms}" ontimeout="hang_up"/>')
    parts.append(_REPLY_OK)
    parts.append('<nop next="hang_up"/>')
    parts.append('<label id="remote_bye"/>')
    parts.append(_REPLY_OK)
    parts.append('<nop next="end"/>')
    # a cold transfer: the phone accepts the REFER and reports the new call answered, as a phone switch does
    parts.append('<label id="refer"/>')
    parts.append(_REPLY_OK.replace("200 OK", "202 Accepted"))
    parts.append(_REFER_DONE.format(callee=callee, caller=caller))
    parts.append('<recv response="200" timeout="5000"/>')
    parts.append('<nop next="talking"/>')
    parts.append('<label id="hang_up"/>')
    parts.append(
        _IN_DIALOG.format(method="BYE", cseq="20", callee=callee, caller=caller, retrans=' retrans="500"')
    )
    parts.append(
        f'<recv response="200" timeout="5000"><action><exec command="echo local_bye >> {events}"/></action></recv>'
    )
    parts.append('<nop next="end"/>')
    parts.append('<label id="no_answer"/>')
    parts.append(f'<nop><action><exec command="echo no_answer >> {events}"/></action></nop>')
    parts.append('<nop next="end"/>')
    for cseq in (1, 2):
        parts.append(f'<label id="failed_{cseq}"/>')
        parts.append(_ACK_FAILURE.format(callee=callee, cseq=cseq))
        parts.append('<nop next="end"/>')
    parts.append('<label id="end"/>')
    parts.append("</scenario>")
    return "\n".join(parts)


def _trace(folder: Path) -> list[str]:
    # SIPP_TRACE=1 keeps every SIP message of a test call, for debugging a scenario
    return (
        ["-trace_msg", "-message_file", str(folder / "messages.log")] if os.environ.get("SIPP_TRACE") else []
    )


def _free_udp_port(host: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


@dataclass
class SippCall:
    """One call from a SIPp user agent to livekit-sip, with an RtpPhone as its media."""

    sip_port: int
    callee: str = "+15550100"
    caller: str = "+13125550142"
    source_ip: str = "127.0.0.1"
    username: str = "nobody"
    password: str = "nothing"
    answer_timeout_s: float = 20.0
    talk_timeout_s: float = 120.0
    phone: RtpPhone = field(default_factory=RtpPhone)
    events_path: Path = field(default_factory=lambda: Path(tempfile.mkstemp(prefix="sipp-events-")[1]))
    process: subprocess.Popen[bytes] | None = None
    local_port: int = 0
    folder: Path = field(default_factory=lambda: Path(tempfile.gettempdir()) / "sipp-unused")
    started_at: float = 0.0

    def start(self) -> SippCall:
        folder = self.folder = Path(tempfile.mkdtemp(prefix="sipp-"))
        scenario = folder / "phone.xml"
        scenario.write_text(
            _scenario(
                callee=self.callee,
                caller=self.caller,
                rtp_port=self.phone.port,
                events=self.events_path,
                answer_ms=int(self.answer_timeout_s * 1000),
                talk_ms=int(self.talk_timeout_s * 1000),
                username=self.username,
                password=self.password,
            )
        )
        self.local_port = _free_udp_port(self.source_ip)
        self.started_at = time.monotonic()
        self.process = subprocess.Popen(
            [
                "sipp",
                "-sf",
                str(scenario),
                "-m",
                "1",
                "-i",
                self.source_ip,
                "-p",
                str(self.local_port),
                "-nostdin",
                "-timeout",
                f"{int(self.answer_timeout_s + self.talk_timeout_s + 30)}s",
                "-timeout_error",
                "-trace_err",
                "-error_file",
                str(folder / "errors.log"),
                *_trace(folder),
                f"127.0.0.1:{self.sip_port}",
            ],
            stdout=subprocess.DEVNULL,
            stderr=(folder / "stderr.log").open("wb"),
            cwd=folder,
            start_new_session=True,
        )
        return self

    def events(self) -> list[str]:
        return [line.strip() for line in self.events_path.read_text().splitlines() if line.strip()]

    def wait_for_event(self, prefix: str, timeout: float) -> str | None:
        deadline = time.monotonic() + timeout
        while True:
            for event in self.events():
                if event.startswith(prefix):
                    return event
            if time.monotonic() >= deadline:
                return None
            time.sleep(0.02)

    def wait_answered(self, timeout: float | None = None) -> bool:
        event = self.wait_for_event("answered", timeout or self.answer_timeout_s + 2)
        if event is None:
            return False
        self.phone.connect(int(event.split()[1]))
        return True

    def hang_up(self) -> None:
        """Ends the call from the phone: a MESSAGE in the dialog tells the scenario to send BYE."""
        answered = self.wait_for_event("answered", 0)
        if answered is None or self.process is None or self.process.poll() is not None:
            return
        call_id = answered.split()[2]
        message = (
            f"MESSAGE sip:phone@127.0.0.1:{self.local_port} SIP/2.0\r\n"
            f"Via: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bK{uuid.uuid4().hex[:12]}\r\n"
            "From: <sip:test@127.0.0.1>;tag=control\r\n"
            f"To: <sip:phone@127.0.0.1:{self.local_port}>\r\n"
            f"Call-ID: {call_id}\r\nCSeq: 1 MESSAGE\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
        )
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.sendto(message.encode(), (self.source_ip, self.local_port))

    def wait_ended(self, timeout: float = 10.0) -> int | None:
        if self.process is None:
            return None
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def close(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(5)
        self.phone.close()
        if not os.environ.get("SIPP_TRACE"):  # traces are kept for debugging only
            shutil.rmtree(self.folder, ignore_errors=True)
            self.events_path.unlink(missing_ok=True)


def _answering_scenario(*, rtp_port: int, events: Path, ring_ms: int, talk_ms: int) -> str:
    """A phone that rings for `ring_ms`, answers with `rtp_port` as its media, and waits for BYE."""
    tag = ";tag=[pid]SIPpTag01[call_number]"
    reply = """<send><![CDATA[
SIP/2.0 {status}
[last_Via:]
[last_From:]
[last_To:]{tag}
[last_Call-ID:]
[last_CSeq:]
Contact: <sip:phone@[local_ip]:[local_port];transport=[transport]>
{body}]]></send>"""
    sdp = _SDP.format(rtp_port=rtp_port)
    return "\n".join(
        [
            '<?xml version="1.0" encoding="ISO-8859-1" ?>',
            '<scenario name="voice-agent answering phone">',
            '<recv request="INVITE"><action>'
            '<ereg regexp="m=audio ([0-9]+)" search_in="body" check_it="true" assign_to="all,rtp"/>'
            f'<exec command="echo invited [$rtp] [$all] >> {events}"/></action></recv>',
            reply.format(status="180 Ringing", tag=tag, body="Content-Length: 0\n\n"),
            f'<pause milliseconds="{ring_ms}"/>',
            reply.format(
                status="200 OK",
                tag=tag,
                body=f"Content-Type: application/sdp\nContent-Length: [len]\n\n{sdp}\n",
            ),
            '<recv request="ACK"><action>'
            f'<exec command="echo answered [$rtp] [call_id] >> {events}"/></action></recv>',
            f'<recv request="BYE" timeout="{talk_ms}" ontimeout="end">'
            f'<action><exec command="echo remote_bye >> {events}"/></action></recv>',
            _REPLY_OK,
            '<label id="end"/>',
            "</scenario>",
        ]
    )


@dataclass
class SippAnsweringPhone:
    """A person's phone for transfer legs: SIPp answers the outbound INVITE, RtpPhone is its media."""

    port: int = 0
    calls: int = 1
    """Calls this phone answers, one after another (the same number rung twice, or two people's
    numbers on one test PBX)."""
    ring_s: float = 1.0
    talk_timeout_s: float = 120.0
    phone: RtpPhone = field(default_factory=RtpPhone)
    events_path: Path = field(default_factory=lambda: Path(tempfile.mkstemp(prefix="sipp-events-")[1]))
    process: subprocess.Popen[bytes] | None = None
    folder: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="sipp-uas-")))

    def start(self) -> SippAnsweringPhone:
        self.port = self.port or _free_udp_port("127.0.0.1")
        scenario = self.folder / "answer.xml"
        scenario.write_text(
            _answering_scenario(
                rtp_port=self.phone.port,
                events=self.events_path,
                ring_ms=int(self.ring_s * 1000),
                talk_ms=int(self.talk_timeout_s * 1000),
            )
        )
        self.process = subprocess.Popen(
            ["sipp", "-sf", str(scenario), "-m", str(self.calls), "-i", "127.0.0.1", "-p", str(self.port), "-nostdin",
             "-timeout", f"{int(self.talk_timeout_s + 60)}s", "-trace_err", "-error_file",
             str(self.folder / "errors.log"), *_trace(self.folder)],
            stdout=subprocess.DEVNULL,
            stderr=(self.folder / "stderr.log").open("wb"),
            cwd=self.folder,
            start_new_session=True,
        )  # fmt: skip
        return self

    def events(self) -> list[str]:
        return [line.strip() for line in self.events_path.read_text().splitlines() if line.strip()]

    def wait_for_event(self, prefix: str, timeout: float) -> str | None:
        deadline = time.monotonic() + timeout
        while True:
            for event in self.events():
                if event.startswith(prefix):
                    return event
            if time.monotonic() >= deadline:
                return None
            time.sleep(0.01)

    def wait_for_nth(self, prefix: str, nth: int, timeout: float) -> str | None:
        """The nth event starting with `prefix` (1-based): one per call, in the order the calls came."""
        deadline = time.monotonic() + timeout
        while True:
            matching = [event for event in self.events() if event.startswith(prefix)]
            if len(matching) >= nth:
                return matching[nth - 1]
            if time.monotonic() >= deadline:
                return None
            time.sleep(0.01)

    def wait_answered(self, timeout: float, *, nth: int = 1) -> bool:
        event = self.wait_for_nth("answered", nth, timeout)
        if event is None:
            return False
        self.phone.connect(int(event.split()[1]))
        return True

    def close(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(5)
        self.phone.close()
        if not os.environ.get("SIPP_TRACE"):
            shutil.rmtree(self.folder, ignore_errors=True)
            self.events_path.unlink(missing_ok=True)
