"""Every config mistake is one clear line and exit status 2."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from core import config
from tests.conftest import ROOT

LIVE_ENV = {
    "OPENAI_API_KEY": "sk-test",
    "ULTRAVOX_API_KEY": "uv",
    "ULTRAVOX_AGENT_ID": "agent",
    "TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
    "TWILIO_AUTH_TOKEN": "tok",
    "TWILIO_FROM_NUMBER": "+12025550100",
}


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "c.toml"
    p.write_text(text)
    return p


def test_shipped_config_loads_and_defaults_to_simulation() -> None:
    cfg = config.load(ROOT / "config.toml", env={})
    assert cfg.mode == "simulate"
    assert any(c.name == "Akhil" and c.role == "Operations" for c in cfg.settings.contacts)


def test_auto_is_live_with_an_openai_key() -> None:
    cfg = config.load(ROOT / "config.toml", env=LIVE_ENV)
    assert cfg.mode == "live"
    assert cfg.secrets.twilio_from_number == "+12025550100"


@pytest.mark.parametrize(
    "text, key, problem",
    [
        ("[calling]\nmax_retrys = 3\n", "calling.max_retrys", "unknown key; did you mean 'max_retries'?"),
        ("[calling]\nwhatever = 3\n", "calling.whatever", "unknown key"),
        ("[nosuch]\nx = 1\n", "nosuch", "unknown key"),
        ('[calling]\nmax_retries = "three"\n', "calling.max_retries", "integer"),
        ("[calling]\nconcurrency = 0\n", "calling.concurrency", "greater than or equal to 1"),
        ('[calling]\ncalling_hours = "9-5"\n', "calling.calling_hours", "HH:MM-HH:MM"),
        ('[voice]\naudio = "loud"\n', "voice.audio", "'auto', 'on' or 'off'"),
        ('[[contacts]]\nname = "A"\nphone = "12"\n', "contacts[1] (A).phone", "not a valid phone number"),
        ('[[contacts]]\nname = "A"\nphone = "+12025550101"\n[[contacts]]\nname = "Marco"\nphone = "+12025550101"\n'
         'timezone = "Mars/Base"\n', "contacts[2] (Marco).timezone", "unknown time zone"),
        ('[[contacts]]\nname = "A"\nphone = "+12025550101"\nphon = "1"\n', "contacts[1] (A).phon",
         "did you mean 'phone'?"),
        ('[app]\ndefault_region = "ZZ"\n', "app.default_region", "unknown region"),
        ("[calling\n", "c.toml", "not valid TOML"),
    ],
)
def test_bad_values_name_the_key(tmp_path: Path, text: str, key: str, problem: str) -> None:
    with pytest.raises(config.ConfigError) as err:
        config.load(write(tmp_path, text), env={})
    assert err.value.key.endswith(key)
    assert problem in err.value.problem


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(config.ConfigError, match="file not found"):
        config.load(tmp_path / "nope.toml", env={})


def test_live_mode_needs_every_secret(tmp_path: Path) -> None:
    env = dict(LIVE_ENV)
    del env["TWILIO_AUTH_TOKEN"]
    with pytest.raises(config.ConfigError) as err:
        config.load(write(tmp_path, ""), env=env, mode="live")
    assert err.value.key == "TWILIO_AUTH_TOKEN"


def test_environment_overrides_the_file(tmp_path: Path) -> None:
    p = write(tmp_path, "[calling]\nmax_retries = 3\n")
    cfg = config.load(p, env={"SWITCHBOARD__CALLING__MAX_RETRIES": "5", "SWITCHBOARD__MIRROR__HOST": "0.0.0.0",
                               "SWITCHBOARD__KEYS__SCHEDULE_CALL": "n"})
    assert cfg.settings.calling.max_retries == 5
    assert cfg.settings.mirror.host == "0.0.0.0"
    assert cfg.settings.keys == {"schedule_call": "n"}


def test_environment_override_of_unknown_key(tmp_path: Path) -> None:
    with pytest.raises(config.ConfigError) as err:
        config.load(write(tmp_path, ""), env={"SWITCHBOARD__CALLING__NOPE": "1"})
    assert err.value.key == "calling.nope"
    with pytest.raises(config.ConfigError):
        config.load(write(tmp_path, ""), env={"SWITCHBOARD__WHAT": "1"})


def test_secrets_never_come_from_the_file(tmp_path: Path) -> None:
    with pytest.raises(config.ConfigError):
        config.load(write(tmp_path, '[openai]\napi_key = "sk-x"\n'), env={})


def run_app(*args: str, env: dict[str, str] | None = None, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith(("SWITCHBOARD", "OPENAI", "TWILIO", "ULTRAVOX"))}
    full_env.update(env or {})
    return subprocess.run([sys.executable, str(ROOT / "app.py"), *args], capture_output=True, text=True,
                          env=full_env, cwd=cwd, timeout=60)


@pytest.mark.parametrize(
    "args, env, expected",
    [
        (["--config", "/nonexistent.toml"], {}, "/nonexistent.toml: file not found"),
        (["--mode", "live"], {}, "OPENAI_API_KEY: must be set in the environment for live mode"),
        ([], {"SWITCHBOARD__CALLING__CONCURRENCY": "lots"}, "calling.concurrency: Input should be a valid integer"),
        ([], {"SWITCHBOARD__CALLING__DO_NOT_CALL": '["+12025550101", "202-555-0102", "garbage!!"]'},
         "calling.do_not_call[3]: 'garbage!!' is not a phone number"),
    ],
)
def test_app_exits_2_with_one_line(args: list[str], env: dict[str, str], expected: str) -> None:
    proc = run_app(*args, env=env)
    assert proc.returncode == 2
    assert proc.stdout == ""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert expected in lines[0]
    assert "Traceback" not in proc.stderr


def test_unreadable_database_is_a_clear_error(tmp_path: Path) -> None:
    cfg = write(tmp_path, '[calling]\ncalls_db_url = "postgresql://nobody@127.0.0.1:1/none"\n[mirror]\nenabled = false\n')
    proc = run_app("--config", str(cfg), "--headless", "--exit-on-eof")
    assert proc.returncode == 2, proc.stderr
    assert "calling.calls_db_url: cannot open the database" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_phone_numbers_in_the_config_take_their_one_form(tmp_path: Path) -> None:
    cfg = config.load(write(tmp_path, '[app]\ndefault_region = "GB"\n[calling]\n'
                                      'do_not_call = ["020 7946 0958", "+1 (202) 555-0105"]\n'
                                      '[[contacts]]\nname = "Ann"\nphone = "07911 123456"\n'), env={})
    assert cfg.settings.calling.do_not_call == ["+442079460958", "+12025550105"]
    assert cfg.settings.contacts[0].phone == "+447911123456"


@pytest.mark.parametrize("entry, words", [("911", "911 is an emergency number"),
                                          ("+1 900 555 0123", "premium-rate number")])
def test_the_directory_never_holds_a_number_no_one_may_dial(tmp_path: Path, entry: str, words: str) -> None:
    with pytest.raises(config.ConfigError) as err:
        config.load(write(tmp_path, f'[[contacts]]\nname = "X"\nphone = "{entry}"\n'), env={})
    assert err.value.key == "contacts[1] (X).phone" and words in err.value.problem
