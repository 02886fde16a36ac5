"""DEEPGRAM_BASE_URL and OPENAI_BASE_URL: validated, and handed to the real plugins."""

from __future__ import annotations

import pytest

from agent.config import ConfigError, load_settings
from agent.providers import cloud


@pytest.mark.parametrize("name", ["deepgram_base_url", "openai_base_url"])
@pytest.mark.parametrize("value", ["ftp://127.0.0.1/v1", "127.0.0.1:8080", "http://", "http://host:port/v1"])
def test_a_non_http_or_ws_url_is_one_clear_error(name: str, value: str) -> None:
    with pytest.raises(ConfigError) as raised:
        load_settings(env_file=None, **{name: value})
    message = str(raised.value)
    assert message.startswith(f"config error: {name.upper()}:") and "\n" not in message


def test_empty_means_the_vendor_default() -> None:
    settings = load_settings(env_file=None, deepgram_api_key="k", openai_api_key="k")
    assert "api.deepgram.com" in cloud.deepgram_stt(settings)._opts.endpoint_url
    assert cloud.openai_llm(settings)._client.base_url.host == "api.openai.com"


def test_the_plugins_get_the_base_urls() -> None:
    settings = load_settings(
        env_file=None,
        deepgram_api_key="test-double",
        openai_api_key="test-double",
        deepgram_base_url="http://127.0.0.1:9/v1/listen",
        openai_base_url="http://127.0.0.1:9/v1",
    )
    assert cloud.deepgram_stt(settings)._opts.endpoint_url == "http://127.0.0.1:9/v1/listen"
    assert str(cloud.openai_llm(settings)._client.base_url) == "http://127.0.0.1:9/v1/"
    assert str(cloud.openai_tts(settings)._client.base_url) == "http://127.0.0.1:9/v1/"


def test_a_bare_deepgram_host_gets_the_listen_path() -> None:
    assert cloud.deepgram_listen_url("ws://127.0.0.1:9") == "ws://127.0.0.1:9/v1/listen"
    assert cloud.deepgram_listen_url("wss://dg.example/v1/listen") == "wss://dg.example/v1/listen"
