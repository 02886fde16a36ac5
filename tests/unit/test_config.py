import pytest

from agent.config import ConfigError, load_settings


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("LIVEKIT_URL", "LIVEKIT_API_KEY", "LIVEKIT_API_SECRET", "AGENT_NAME", "WORKER_MAX_RETRY"):
        monkeypatch.delenv(name, raising=False)


def test_defaults_point_at_the_local_server() -> None:
    settings = load_settings(env_file=None)
    assert settings.livekit_url == "ws://127.0.0.1:7880"
    assert settings.agent_name == "voice-agent"
    assert not settings.uses_cloud_stt and not settings.uses_cloud_llm_and_tts


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("LIVEKIT_URL", "localhost:7880", "LIVEKIT_URL"),
        ("LIVEKIT_URL", "ws://127.0.0.1:notaport", "LIVEKIT_URL"),
        ("LIVEKIT_API_SECRET", "tooshort", "LIVEKIT_API_SECRET: is too short"),
        ("WORKER_MAX_RETRY", "-1", "WORKER_MAX_RETRY"),
        ("ENDPOINTING_MIN_DELAY_S", "soon", "ENDPOINTING_MIN_DELAY_S"),
        ("AGENT_NAME", "has spaces", "AGENT_NAME"),
        ("LOG_LEVEL", "chatty", "LOG_LEVEL"),
        ("WORKER_MAX_CALLS", "0", "WORKER_MAX_CALLS"),
        ("WORKER_NUM_IDLE_PROCESSES", "-1", "WORKER_NUM_IDLE_PROCESSES"),
        ("WORKER_NUM_IDLE_PROCESSES", "300", "WORKER_NUM_IDLE_PROCESSES"),
    ],
)
def test_bad_values_name_the_setting_in_one_line(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, expected: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as caught:
        load_settings(env_file=None)
    message = str(caught.value)
    assert message.startswith(f"config error: {expected}")
    assert "\n" not in message


def test_secret_values_never_appear_in_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LIVEKIT_API_SECRET", "hunter2")
    with pytest.raises(ConfigError) as caught:
        load_settings(env_file=None)
    assert "hunter2" not in str(caught.value)


def test_blank_cloud_keys_mean_offline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "  ")
    assert load_settings(env_file=None).openai_api_key is None


def test_env_file_is_read_without_overriding_the_environment(
    tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("AGENT_NAME=from-file\nWORKER_MAX_RETRY=3\n")
    monkeypatch.setenv("WORKER_MAX_RETRY", "7")
    monkeypatch.delenv("AGENT_NAME", raising=False)
    try:
        settings = load_settings(env_file=env_file)
        assert settings.agent_name == "from-file"
        assert settings.worker_max_retry == 7
    finally:
        monkeypatch.delenv("AGENT_NAME", raising=False)


def test_data_dir_expands_home_and_stays_out_of_the_repo(monkeypatch: pytest.MonkeyPatch) -> None:
    from pathlib import Path

    monkeypatch.setenv("DATA_DIR", "~/va-data")
    assert load_settings(env_file=None).data_dir == Path.home().resolve() / "va-data"
    monkeypatch.setenv("DATA_DIR", str(Path(__file__).resolve().parents[2] / "data"))
    with pytest.raises(ConfigError, match="DATA_DIR: must be outside"):
        load_settings(env_file=None)
