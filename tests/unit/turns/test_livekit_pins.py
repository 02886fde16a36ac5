"""Pins the livekit-agents behaviour the turn-taking policy relies on: an upgrade that renames or
changes it fails here, not silently in a call."""

from __future__ import annotations

import inspect

from livekit.agents.voice import agent_activity, audio_recognition
from livekit.plugins import silero

from agent.config import load_settings
from agent.session import turn_taking_vad


def test_a_final_transcript_ends_a_paused_reply() -> None:
    # why backchannel finals are held back in the STT node (agent/turns/backchannel_filter.py)
    source = inspect.getsource(agent_activity.AgentActivity.on_final_transcript)
    assert "_cancel_speech_pause" in source


def test_the_end_of_speech_arms_the_false_interruption_resume() -> None:
    source = inspect.getsource(agent_activity.AgentActivity.on_end_of_speech)
    assert "_start_false_interruption_timer" in source


def test_the_turn_detector_protocol_is_what_we_implement() -> None:
    source = inspect.getsource(audio_recognition.AudioRecognition._run_eou_detection)
    assert "predict_end_of_turn(" in source and "unlikely_threshold(" in source
    assert "self._endpointing.max_delay" in source


def test_the_session_vad_shares_silero_s_loaded_model() -> None:
    # silero.VAD(session=, opts=) and its private _opts / _onnx_session
    loaded = silero.VAD.load(min_silence_duration=0.3)
    session_vad = turn_taking_vad(loaded, load_settings(env_file=None, barge_in_vad_min_silence_s=0.12))
    assert isinstance(session_vad, silero.VAD)
    assert session_vad._onnx_session is loaded._onnx_session
    assert session_vad._opts.min_silence_duration == 0.12
    assert loaded._opts.min_silence_duration == 0.3


def test_the_resume_wait_is_read_live_while_the_caller_speaks() -> None:
    # agent/turns/barge_in.py switches the option mid-speech
    source = inspect.getsource(agent_activity.AgentActivity._interrupt_by_audio_activity)
    assert "self._session.options.interruption" in source
    assert 'interruption_options["false_interruption_timeout"]' in source


def test_the_room_output_drops_its_queue_at_the_next_frame_with_this_bookkeeping() -> None:
    # agent/turns/gated_output.py drops the queue in pause() itself, booking it the same way
    from livekit.agents.voice.room_io._output import _ParticipantAudioOutput

    pause = inspect.getsource(_ParticipantAudioOutput.pause)
    assert "# self._audio_source.clear_queue()" in pause
    forward = inspect.getsource(_ParticipantAudioOutput._forward_audio)
    assert "self._source_discarded_duration += queued" in forward
    assert "resumes_at=self._source_pushed_duration" in forward
    assert list(inspect.signature(_ParticipantAudioOutput._report_run).parameters) == [
        "self",
        "offset",
        "ended_at",
        "resumes_at",
    ]
    init = inspect.getsource(_ParticipantAudioOutput.__init__)
    assert "self._audio_source = rtc.AudioSource(" in init


def test_barge_in_is_ignored_during_aec_warmup_by_these_fields() -> None:
    # the gate holds a reply only where LiveKit would pause it (agent/turns/barge_in_gate.py)
    source = inspect.getsource(agent_activity.AgentActivity._interrupt_by_audio_activity)
    assert "self._session._aec_warmup_remaining > 0" in source
    assert "self._session._aec_warmup_timer is not None" in source
