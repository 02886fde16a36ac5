"""The embedded offline providers: real synthesis, real recognition, the dialog engine."""

import numpy as np
import pytest
from livekit.agents import AgentSession

from agent.audio import resample
from agent.front_desk import FrontDesk
from agent.providers.offline.dialog.engine_llm import DialogEngineLLM
from agent.providers.offline.espeak import EspeakEngine
from agent.providers.offline.whisper_stt import WhisperSTT, load_whisper_model


@pytest.fixture(scope="module")
def whisper() -> WhisperSTT:
    return WhisperSTT(load_whisper_model())


def test_espeak_synthesises_audible_speech() -> None:
    engine = EspeakEngine.shared()
    samples = engine.synthesize("Thanks for calling.")
    assert samples.dtype == np.int16
    assert samples.size > engine.sample_rate * 0.5
    assert np.abs(samples).max() > 3000


@pytest.mark.parametrize("rate", [8000, 16000, 48000])
def test_whisper_reads_back_synthesised_speech_at_any_rate(whisper: WhisperSTT, rate: int) -> None:
    engine = EspeakEngine.shared()
    speech = resample(engine.synthesize("I need a plumber tomorrow morning."), engine.sample_rate, rate)
    text = whisper.transcribe(speech, rate).lower()
    assert "plumber" in text and "tomorrow" in text


def test_whisper_hears_nothing_in_silence(whisper: WhisperSTT) -> None:
    assert "plumber" not in whisper.transcribe(np.zeros(16000, np.int16), 16000).lower()


async def test_agent_answers_in_text_mode_with_the_dialog_engine(tmp_path) -> None:
    from agent.call_state import CallState
    from agent.config import load_settings
    from tools.business import build_backend, build_business

    settings = load_settings(env_file=None, data_dir=tmp_path)
    business = build_business(settings, build_backend(settings))
    async with DialogEngineLLM() as llm, AgentSession(llm=llm, userdata=CallState(call_id="c")) as session:
        await session.start(FrontDesk(greeting="Hello.", business=business))
        result = await session.run(user_input="Hello there")
        result.expect.next_event().is_message(role="assistant")
        message = result.expect[0].event().item
        assert "help" in message.text_content.lower()
