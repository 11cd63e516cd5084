"""`make run` recognises an existing curator (installation/serve.py): the check asks
Django directly and reads the exit status, so the "N objects imported automatically"
line Django 5.2's shell prints cannot fool it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from installation import serve

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def env(tmp_path):
    """The server's environment with a scratch, migrated SQLite database."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(
        SQLITE_PATH=str(tmp_path / "db.sqlite3"),
        DJANGO_DEBUG="1",
        DJANGO_SETTINGS_MODULE="installation.settings",
    )
    serve.manage(env, "migrate", "--noinput", "-v0")
    return env


def make_user(env, *, superuser: bool) -> None:
    code = "from django.contrib.auth import get_user_model as U; " + (
        "U().objects.create_superuser('curator', 'c@example.org', 'a long pass phrase')"
        if superuser
        else "U().objects.create_user('visitor', 'v@example.org', 'a long pass phrase')"
    )
    subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code], cwd=ROOT, env=env, check=True
    )


def test_no_curator_then_a_curator(env):
    assert serve.curator_exists(env) is False
    make_user(env, superuser=False)
    assert serve.curator_exists(env) is False, "a plain user is no curator"
    make_user(env, superuser=True)
    assert serve.curator_exists(env) is True


def test_the_shell_banner_would_have_fooled_the_old_check(env):
    """What `manage.py shell -c` prints on Django 5.2: the banner line comes first."""
    make_user(env, superuser=True)
    out = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", "print(True)"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert out.strip() != "True", "the shell's output is not just the answer"
    assert serve.curator_exists(env) is True, "the check does not read it"


def test_make_run_does_not_offer_a_second_curator(env, monkeypatch, capsys):
    make_user(env, superuser=True)
    asked = []
    monkeypatch.setattr(serve, "manage", lambda *args, **kw: asked.append(args) or "")
    serve.curator_offer(env, 8000)
    assert asked == [], "no createsuperuser"
    assert "No curator account" not in capsys.readouterr().out


def test_without_a_curator_make_run_says_how_to_make_one(env, monkeypatch, capsys):
    monkeypatch.setattr(sys.stdin, "isatty", lambda: False)
    serve.curator_offer(env, 8000)
    assert "--create-curator" in capsys.readouterr().out


def test_a_database_that_does_not_answer_is_said_not_taken_for_no_curator(env, capsys):
    broken = dict(env, DATABASE_URL="postgresql://nobody@127.0.0.1:1/none")
    with pytest.raises(serve.CuratorCheckError):
        serve.curator_exists(broken)
    serve.curator_offer(broken, 8000)
    out = capsys.readouterr().out
    assert "Could not check" in out and "No curator account" not in out
