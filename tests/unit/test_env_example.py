"""Every setting is documented in .env.example, and .env.example itself is valid."""

from pathlib import Path

from agent.config import Settings, load_settings

ENV_EXAMPLE = Path(__file__).resolve().parents[2] / ".env.example"


def documented() -> dict[str, str]:
    pairs = {}
    for line in ENV_EXAMPLE.read_text().splitlines():
        line = line.strip().lstrip("# ")
        if "=" in line and line.split("=", 1)[0].isupper():
            name, value = line.split("=", 1)
            pairs[name] = value
    return pairs


def test_every_setting_is_documented() -> None:
    missing = {name.upper() for name in Settings.model_fields} - documented().keys()
    assert not missing, f"undocumented settings: {sorted(missing)}"


def test_the_example_values_validate(monkeypatch) -> None:
    for name, value in documented().items():
        if name in {n.upper() for n in Settings.model_fields}:
            monkeypatch.setenv(name, value)
    load_settings(env_file=None)
