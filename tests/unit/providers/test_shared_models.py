"""The offline models are loaded once per process, whichever executor (thread) asks."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from agent.providers.offline import shared_models
from agent.providers.offline.whisper_stt import WhisperSTT


def test_threads_share_one_whisper_model_and_its_decode_lock() -> None:
    with ThreadPoolExecutor(max_workers=3) as pool:
        models = list(pool.map(lambda _: shared_models.whisper_model(), range(3)))
    assert all(model is models[0] for model in models)
    first, second = WhisperSTT(models[0]), WhisperSTT(models[1])
    assert first._decode_lock is second._decode_lock


def test_each_call_gets_its_own_vad_on_one_onnx_session() -> None:
    first, second = shared_models.call_vad(0.4), shared_models.call_vad(0.6)
    assert first is not second  # a VAD reports its streams' metrics to every session listening on it
    assert first._onnx_session is second._onnx_session
    assert (first._opts.min_silence_duration, second._opts.min_silence_duration) == (0.4, 0.6)


def test_a_finished_streams_decoder_is_lent_to_the_next() -> None:
    shared_models.keep_spare_partials()
    lent = shared_models.take_partials()
    assert lent is not None
    lent.start()
    shared_models.give_back_partials(lent)
    assert shared_models.take_partials() is lent
    assert not lent._in_utterance  # given back stopped: the next stream starts clean
