from agent.caller import CallReport, TurnReport, _Transcripts


def test_round_trip_summary_median_and_p95() -> None:
    report = CallReport(room="r", greeting_ms=400.0)
    report.turns = [
        TurnReport(said=str(i), round_trip_ms=float(v), answered=True)
        for i, v in enumerate(range(100, 1100, 100))
    ]
    summary = report.round_trip_summary()
    assert summary == {"count": 10, "median_ms": 550.0, "p95_ms": 1000.0}
    assert report.answered_all


def test_unanswered_turn_fails_the_call() -> None:
    report = CallReport(room="r", greeting_ms=400.0, turns=[TurnReport(said="hi")])
    assert not report.answered_all
    assert report.round_trip_summary()["count"] == 0


def test_transcripts_keep_finals_once_and_split_heard_from_said() -> None:
    transcripts = _Transcripts(mic_track_sid="TR_mic")
    final = {"lk.transcription_final": "true"}
    transcripts.record({**final, "lk.segment_id": "a", "lk.transcribed_track_id": "TR_mic"}, "hello")
    transcripts.record({**final, "lk.segment_id": "a", "lk.transcribed_track_id": "TR_mic"}, "hello there")
    transcripts.record({"lk.transcription_final": "false", "lk.segment_id": "b"}, "I hea")
    transcripts.record({**final, "lk.segment_id": "b", "lk.transcribed_track_id": "TR_agent"}, "I heard you")
    assert transcripts.since(0, heard=True) == "hello there"
    assert transcripts.since(0, heard=False) == "I heard you"
