"""Deployment: the server as the Procfile starts it with production settings, real
Redis and PostgreSQL; the deploy files agree with each other; the laptop launcher."""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import http.client
import json
import os
import re
import secrets
import shlex
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path
from urllib.parse import urlencode

import pytest
import websockets

from installation.procfile import procfile_command
from tests.clients import PhoneClient, WallClient
from tests.parts import PostgresDatabase, RedisServer, Server, free_port, missing, wait_for

ROOT = Path(__file__).resolve().parent.parent
PUBLIC_HOST = "wall.example.org"
PUBLIC_ORIGIN = f"https://{PUBLIC_HOST}"
HASHED = re.compile(r"\.[0-9a-f]{12}\.[A-Za-z0-9]+$")
STATIC_REF = re.compile(r"/static/[^\"'\s<>()]+")
# What the platform may set on the machine running the tests; production here is
# only what each test says.
PLATFORM_VARIABLES = (
    "DJANGO_DEBUG",
    "DJANGO_SECRET_KEY",
    "DJANGO_ALLOWED_HOSTS",
    "DJANGO_HTTPS",
    "DJANGO_SECURE_SSL_REDIRECT",
    "PUBLIC_URL",
    "DATABASE_URL",
    "REDIS_URL",
    "WEB_CONCURRENCY",
    "FLY_APP_NAME",
    "RENDER_EXTERNAL_HOSTNAME",
    "SQLITE_PATH",
)


def clean_environment(**overrides: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in PLATFORM_VARIABLES}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    env.update(overrides)
    return env


def production_environment(static_root: str) -> dict[str, str]:
    return {
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": PUBLIC_HOST,
        "PUBLIC_URL": PUBLIC_ORIGIN,
        "DJANGO_STATIC_ROOT": static_root,
    }


class Reply:
    def __init__(self, response: http.client.HTTPResponse) -> None:
        self.status = response.status
        self.headers = response.headers
        self.body = response.read()

    @property
    def text(self) -> str:
        return self.body.decode()


def fetch(port: int, path: str, headers: dict[str, str] | None = None) -> Reply:
    """One request, redirects not followed, headers exactly as given."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path, headers=headers or {})
        return Reply(conn.getresponse())
    finally:
        conn.close()


def over_https(extra: dict[str, str] | None = None) -> dict[str, str]:
    """What fly's proxy adds to a visitor's https request."""
    return {"Host": PUBLIC_HOST, "X-Forwarded-Proto": "https", **(extra or {})}


# -- the production server ----------------------------------------------------------


@pytest.fixture(scope="module")
def static_root():
    """collectstatic under production settings, as the image build does."""
    with tempfile.TemporaryDirectory(prefix="wall-static-") as root:
        env = clean_environment(**production_environment(root))
        subprocess.run(
            [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
            cwd=ROOT,
            env=env,
            check=True,
        )
        yield root


@pytest.fixture(scope="module")
def production(static_root):
    """Two workers started from the Procfile's web line, debug off, on real Redis and
    PostgreSQL (Server migrates first, as the release line does)."""
    redis = RedisServer()
    redis.start()
    database = PostgresDatabase()
    server = None
    try:
        server = Server(
            workers=2,
            redis_url=redis.url,
            database_url=database.url,
            env=production_environment(static_root),
        )
        server.start()
        yield server
    finally:
        if server is not None:
            server.close()
        database.drop()
        redis.close()


@pytest.mark.database
def test_healthz_answers_plain_http_with_the_machines_address(production):
    # fly's checks: plain http inside its network, the machine's private IP as Host.
    reply = fetch(production.port, "/healthz", {"Host": "172.19.7.10:8080"})
    assert reply.status == 200, reply.text
    body = json.loads(reply.body)
    assert body["database"] == "ok" and body["channel_layer"] == "ok"
    assert reply.headers["Cache-Control"] == "no-store"
    storage = body["process"]["storage"]
    assert storage["writer"] == "process" and storage["restarts"] == 0
    assert isinstance(storage["pid"], int), "the archiver runs from the start"


@pytest.mark.database
def test_plain_http_is_redirected_to_https(production):
    reply = fetch(
        production.port, "/projector/", {"Host": PUBLIC_HOST, "X-Forwarded-Proto": "http"}
    )
    assert reply.status == 301
    assert reply.headers["Location"] == f"{PUBLIC_ORIGIN}/projector/"


@pytest.mark.database
def test_unknown_host_is_refused(production):
    reply = fetch(production.port, "/", over_https({"Host": "evil.example"}))
    assert reply.status == 400


@pytest.mark.database
def test_https_pages_carry_the_security_headers(production):
    reply = fetch(production.port, "/", over_https())
    assert reply.status == 200
    hsts = reply.headers["Strict-Transport-Security"]
    assert "max-age=31536000" in hsts and "includeSubDomains" in hsts
    assert reply.headers["X-Content-Type-Options"] == "nosniff"
    assert reply.headers["Referrer-Policy"] == "same-origin"
    assert reply.headers["X-Frame-Options"] == "DENY"
    device_cookie = [c for c in reply.headers.get_all("Set-Cookie") if "wall_device=" in c]
    assert device_cookie and "Secure" in device_cookie[0]


@pytest.mark.database
def test_admin_login_is_served_with_secure_csrf_cookie(production):
    reply = fetch(production.port, "/admin/login/", over_https())
    assert reply.status == 200
    csrf = [c for c in reply.headers.get_all("Set-Cookie") or [] if "csrftoken=" in c]
    assert csrf and "Secure" in csrf[0]


@pytest.mark.database
def test_curator_signs_in_through_the_proxy(production):
    # The classic failure behind a TLS proxy is a CSRF 403 on the admin's POST: the
    # https Origin only matches when the proxy's X-Forwarded-Proto is trusted.
    production.manage(
        "shell",
        "-c",
        "from django.contrib.auth import get_user_model as U; "
        "U().objects.filter(username='curator').exists() or "
        "U().objects.create_superuser('curator', 'c@example.org', 'a long pass phrase')",
    )
    page = fetch(production.port, "/admin/login/", over_https())
    cookie = re.search(r"csrftoken=([^;]+)", page.headers["Set-Cookie"]).group(1)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    form = urlencode(
        {"csrfmiddlewaretoken": token, "username": "curator", "password": "a long pass phrase"}
    )
    conn = http.client.HTTPConnection("127.0.0.1", production.port, timeout=10)
    try:
        headers = over_https(
            {
                "Origin": PUBLIC_ORIGIN,
                "Referer": f"{PUBLIC_ORIGIN}/admin/login/",
                "Cookie": f"csrftoken={cookie}",
                "Content-Type": "application/x-www-form-urlencoded",
            }
        )
        conn.request("POST", "/admin/login/?next=/admin/", body=form, headers=headers)
        reply = Reply(conn.getresponse())
    finally:
        conn.close()
    assert reply.status == 302, reply.text[:500]
    assert reply.headers["Location"] == "/admin/"
    session = [c for c in reply.headers.get_all("Set-Cookie") if "sessionid=" in c]
    assert session and "Secure" in session[0] and "HttpOnly" in session[0]


@pytest.mark.database
@pytest.mark.parametrize("page", ["/", "/projector/"])
def test_pages_load_hashed_compressed_static_files(production, page):
    reply = fetch(production.port, page, over_https())
    assert reply.status == 200
    refs = sorted(set(STATIC_REF.findall(reply.text)))
    assert refs, f"{page} links no static files"
    compressed = 0
    for ref in refs:
        assert HASHED.search(ref), f"{ref} has no content hash in its name"
        plain = fetch(production.port, ref, over_https())
        assert plain.status == 200, ref
        assert "immutable" in plain.headers["Cache-Control"]
        packed = fetch(production.port, ref, over_https({"Accept-Encoding": "gzip"}))
        assert packed.status == 200
        if packed.headers.get("Content-Encoding") == "gzip":
            assert gzip.decompress(packed.body) == plain.body
            compressed += 1
    assert compressed, f"no compressed variant served for {refs}"


MODULE_IMPORT = re.compile(r"""\bfrom\s*["'](\.\.?/[^"']+)["']""")


def imported_modules(static_root, entry: str) -> set[str]:
    """Every module `entry` imports, directly or not, by the names in the files as
    collected; each import must be a hashed name that exists."""
    seen, todo = set(), [entry]
    while todo:
        name = todo.pop()
        seen.add(name)
        text = (Path(static_root) / name).read_text()
        for relative in MODULE_IMPORT.findall(text):
            imported = os.path.normpath(Path(name).parent / relative)
            assert HASHED.search(imported), f"{name} imports {relative}, not a hashed name"
            assert (Path(static_root) / imported).is_file(), imported
            if imported not in seen:
                todo.append(imported)
    return seen


def test_the_walls_modules_import_each_other_by_their_hashed_names(static_root):
    """The page links wall.js by its hashed name; the modules it imports must be
    hashed too, or a cached sync.js from the last release would run with the new
    wall.js (installation/static_storage.py)."""
    manifest = json.loads((Path(static_root) / "staticfiles.json").read_text())["paths"]
    seen = imported_modules(static_root, manifest["projector/wall.js"])
    assert manifest["projector/sync.js"] in seen
    assert manifest["projector/timeline.js"] in seen
    assert manifest["reconnect.js"] in seen, "the module shared with the phone"
    p5 = (Path(static_root) / manifest["vendor/p5/p5.min.js"]).read_bytes()
    assert p5 == (ROOT / "static" / "vendor" / "p5" / "p5.min.js").read_bytes(), "as shipped"


def test_the_phones_modules_import_each_other_by_their_hashed_names(static_root):
    """The same for the phone page's phone.js: its modules, and the two it shares
    with the wall, are imported by their hashed names."""
    manifest = json.loads((Path(static_root) / "staticfiles.json").read_text())["paths"]
    seen = imported_modules(static_root, manifest["controller/phone.js"])
    for module in ("connection_state.js", "outbox.js", "ink.js", "wallview.js", "colornames.js"):
        assert manifest["controller/" + module] in seen, module
    assert manifest["reconnect.js"] in seen, "shared with the wall"
    assert manifest["pen.js"] in seen, "shared with the wall"


@pytest.mark.database
@pytest.mark.parametrize("path", ["/ws/draw/", "/ws/wall/"])
async def test_websocket_origin_is_checked_against_the_public_host(production, path):
    uri = f"ws://{PUBLIC_HOST}{path}"
    where = {"host": "127.0.0.1", "port": production.port}
    ws = await websockets.connect(uri, additional_headers={"Origin": PUBLIC_ORIGIN}, **where)
    await ws.close()
    with pytest.raises(websockets.InvalidStatus) as refused:
        foreign = {"Origin": "https://evil.example"}
        await websockets.connect(uri, additional_headers=foreign, **where)
    assert refused.value.response.status_code == 403


class ProxiedWallClient(WallClient):
    """A wall behind the TLS proxy: its sheet requests arrive as https for the public host."""

    def _fetch_sheet(self) -> dict:
        origins = ",".join(sorted(self._last))
        path = "/projector/sheet/" + (f"?origins={origins}" if origins else "")
        port = int(self.http_url.rsplit(":", 1)[1])
        reply = fetch(port, path, over_https())
        assert reply.status == 200, reply.status
        return json.loads(reply.body)


@pytest.mark.database
async def test_a_phones_stroke_reaches_a_wall(production):
    wall = ProxiedWallClient(production.http, production.ws, PUBLIC_ORIGIN)
    await wall.connect()
    # The phone page gives the device cookie (Secure, over https through the proxy).
    page = fetch(production.port, "/", over_https())
    cookie = next(
        c.split(";", 1)[0]
        for c in page.headers.get_all("Set-Cookie")
        if c.startswith("wall_device=")
    )
    phone = PhoneClient(production.ws, PUBLIC_ORIGIN, cookie=cookie)
    await phone.connect()
    assert phone.welcome["device"].startswith("d_"), "limits follow the phone's cookie"
    await phone.start([[0.5, 0.5], [0.51, 0.5]])
    await phone.points([[0.52, 0.51], [0.53, 0.52]])
    await phone.wait_acked(await phone.end([[0.54, 0.52]]))
    accepted = phone.accepted()
    assert len(accepted) == 3
    await wall.wait_for_keys(accepted)
    assert wall.duplicates == 0
    await phone.close()
    await wall.close()


# -- production settings ------------------------------------------------------------


def manage_check(**overrides: str) -> subprocess.CompletedProcess:
    env = clean_environment(
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_ALLOWED_HOSTS=PUBLIC_HOST,
        PUBLIC_URL=PUBLIC_ORIGIN,
        **overrides,
    )
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )


def test_check_deploy_is_clean_under_production_settings():
    result = manage_check()
    assert result.returncode == 0, result.stdout + result.stderr
    # …and it is the settings that make it so: plain-http mode is flagged.
    plain = manage_check(DJANGO_HTTPS="0")
    assert plain.returncode != 0
    assert "security.W008" in plain.stderr + plain.stdout


def settings_load(**env: str) -> subprocess.CompletedProcess:
    code = (
        "import json; from installation import settings as s; "
        "print(json.dumps({'hosts': s.ALLOWED_HOSTS, 'csrf': s.CSRF_TRUSTED_ORIGINS, "
        "'redis': s.REDIS_URL}))"
    )
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=clean_environment(**env),
        capture_output=True,
        text=True,
    )


KEY = "k" * 10 + secrets.token_urlsafe(40)


@pytest.mark.parametrize(
    ("env", "complaint"),
    [
        ({"DJANGO_DEBUG": "0", "DJANGO_ALLOWED_HOSTS": PUBLIC_HOST}, "DJANGO_SECRET_KEY"),
        ({"DJANGO_DEBUG": "0", "DJANGO_SECRET_KEY": KEY}, "DJANGO_ALLOWED_HOSTS"),
        (
            {"DJANGO_DEBUG": "0", "DJANGO_SECRET_KEY": KEY, "PUBLIC_URL": PUBLIC_ORIGIN}
            | {"WEB_CONCURRENCY": "2"},
            "REDIS_URL",
        ),
        ({"DJANGO_DEBUG": "0", "DJANGO_SECRET_KEY": KEY, "FLY_APP_NAME": "w"}, "DATABASE_URL"),
    ],
    ids=["no-secret", "no-hosts", "workers-without-redis", "fly-without-database"],
)
def test_production_fails_loudly_when_misconfigured(env, complaint):
    result = settings_load(**env)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and complaint in result.stderr


def test_hosts_and_trusted_origins_come_from_the_platform():
    result = settings_load(
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=KEY,
        FLY_APP_NAME="gallery-wall",
        DATABASE_URL="postgres://u:p@db.internal:5432/wall",
        PUBLIC_URL="https://draw.gallery.example/",
    )
    assert result.returncode == 0, result.stderr
    loaded = json.loads(result.stdout)
    assert loaded["hosts"] == ["gallery-wall.fly.dev", "draw.gallery.example"]
    assert loaded["csrf"] == ["https://draw.gallery.example"]


def test_redis_tls_verification_can_be_relaxed_for_an_attached_url():
    from channels_redis.utils import create_pool, decode_hosts
    from redis.asyncio.connection import SSLConnection

    result = settings_load(
        DJANGO_DEBUG="1",
        REDIS_URL="rediss://:secret@redis.example:6380/0",
        REDIS_SSL_CERT_REQS="none",
    )
    assert result.returncode == 0, result.stderr
    url = json.loads(result.stdout)["redis"]
    assert url == "rediss://:secret@redis.example:6380/0?ssl_cert_reqs=none"
    pool = create_pool(decode_hosts([url])[0])  # what both channels-redis layers do
    assert pool.connection_class is SSLConnection
    assert pool.connection_kwargs["ssl_cert_reqs"] == "none"


# -- the deploy files agree -----------------------------------------------------------


def fly_config() -> dict:
    with open(ROOT / "fly.toml", "rb") as handle:
        return tomllib.load(handle)


def web_option(name: str) -> str:
    words = shlex.split(procfile_command("web"))
    return words[words.index(name) + 1]


def dockerfile() -> str:
    return (ROOT / "Dockerfile").read_text()


def test_fly_port_is_the_port_the_web_process_binds():
    fly = fly_config()
    port = fly["http_service"]["internal_port"]
    assert fly["env"]["PORT"] == str(port)
    assert re.search(rf"^ENV .*PORT={port}\b", dockerfile(), re.M | re.S)
    # The Procfile's --port, expanded by a shell as the platform does.
    bound = subprocess.run(
        ["sh", "-c", f"printf %s {web_option('--port')}"],
        env={"PORT": str(port)},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert bound == str(port)
    assert web_option("--host") == "0.0.0.0"


def test_fly_release_command_is_the_procfiles():
    assert fly_config()["deploy"]["release_command"] == procfile_command("release")
    # …and it is the migration tests.parts.Server runs before every server it starts.
    assert shlex.split(procfile_command("release")) == ["python", *SERVER_MIGRATE]


SERVER_MIGRATE = ["manage.py", "migrate", "--noinput"]


def test_fly_health_check_path_is_served_before_host_checks():
    from django.urls import resolve

    from installation.health import healthz
    from installation.health_middleware import HEALTH_PATH

    checks = fly_config()["http_service"]["checks"]
    assert [check["path"] for check in checks] == [HEALTH_PATH]
    assert resolve(HEALTH_PATH).func is healthz


def test_fly_scales_to_zero_by_connections_and_stops_gracefully():
    fly = fly_config()
    service = fly["http_service"]
    assert service["force_https"] is True
    assert service["auto_stop_machines"] in ("stop", True)
    assert service["auto_start_machines"] is True
    assert service["min_machines_running"] == 0
    concurrency = service["concurrency"]
    assert concurrency["type"] == "connections"
    assert 0 < concurrency["soft_limit"] < concurrency["hard_limit"]
    assert fly["vm"][0]["memory"]
    # uvicorn handles SIGINT and SIGTERM alike; its graceful wait plus the runtime's
    # flush must fit inside fly's kill timeout.
    assert fly["kill_signal"] in ("SIGTERM", "SIGINT")
    graceful = float(web_option("--timeout-graceful-shutdown"))
    assert fly["kill_timeout"] >= graceful + 5


def test_web_process_options_are_explicit():
    assert int(web_option("--ws-max-size")) <= 64 * 1024
    assert web_option("--ws-per-message-deflate") == "false"
    assert float(web_option("--ws-ping-interval")) > 0
    assert "--proxy-headers" in shlex.split(procfile_command("web"))


def test_forwarded_headers_are_trusted_only_from_the_configured_proxy():
    # uvicorn reads FORWARDED_ALLOW_IPS (default loopback) when the flag is absent;
    # "*" would let any client choose its address (docs/decisions.md).
    assert "--forwarded-allow-ips" not in shlex.split(procfile_command("web"))
    assert "*" not in fly_config()["env"]["FORWARDED_ALLOW_IPS"]
    assert "WEB_CONCURRENCY" in web_option("--workers")


def test_image_builds_from_the_repository_and_starts_the_procfiles_web_line(monkeypatch):
    text = dockerfile()
    assert re.search(r"^FROM python:3\.11-slim$", text, re.M)
    assert "RUN pip install ." in text
    assert re.search(r"DJANGO_SECRET_KEY=\S+ .*\n?.*manage\.py collectstatic", text)
    cmd = json.loads(re.search(r"^CMD (\[.*\])$", text, re.M).group(1))
    assert cmd == ["python", "-m", "installation.serve"]
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {".secret_key", ".venv", "db.sqlite3*", ".git"} <= set(ignored)

    from installation import serve

    ran = {}
    monkeypatch.setattr(serve.os, "execvpe", lambda f, args, env: ran.update(args=args, env=env))
    monkeypatch.setenv("PORT", "8080")
    serve.main([])
    assert ran["args"] == ["sh", "-c", "exec " + procfile_command("web")]
    assert ran["env"]["PORT"] == "8080"


# -- rediss:// ----------------------------------------------------------------------


class TlsRedis:
    """A redis-server that speaks TLS only, with a throwaway self-signed certificate."""

    def __init__(self, workdir: str) -> None:
        self.port = free_port()
        self.cert = os.path.join(workdir, "redis.crt")
        key = os.path.join(workdir, "redis.key")
        openssl = ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"]
        made = subprocess.run(
            [*openssl, "-subj", "/CN=localhost", "-keyout", key, "-out", self.cert],
            capture_output=True,
        )
        if made.returncode != 0:
            missing("openssl", made.stderr.decode(errors="replace"))
        args = ["--port", "0", "--tls-port", str(self.port), "--bind", "127.0.0.1"]
        args += ["--tls-cert-file", self.cert, "--tls-key-file", key]
        args += ["--tls-ca-cert-file", self.cert, "--tls-auth-clients", "no"]
        args += ["--save", "", "--appendonly", "no", "--dir", workdir]
        binary = shutil.which("redis-server")
        if binary is None:
            missing("redis-server", "not on PATH")
        log = os.path.join(workdir, "redis.log")
        with open(log, "wb") as out:
            self.process = subprocess.Popen([binary, *args], stdout=out, stderr=out)
        try:
            wait_for(self._answers, 10, "redis-server on TLS")
        except TimeoutError:
            self.close()
            missing("redis-server with TLS", Path(log).read_text(errors="replace"))

    def _answers(self) -> bool:
        if self.process.poll() is not None:
            raise TimeoutError("redis-server exited")
        context = ssl.create_default_context(cafile=self.cert)
        try:
            with (
                socket.create_connection(("localhost", self.port), timeout=0.5) as raw,
                context.wrap_socket(raw, server_hostname="localhost") as conn,
            ):
                conn.sendall(b"PING\r\n")
                return conn.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    @property
    def url(self) -> str:
        return f"rediss://localhost:{self.port}/0?ssl_ca_certs={self.cert}"

    def close(self) -> None:
        self.process.terminate()
        self.process.wait(10)


@pytest.mark.parametrize(
    "backend",
    ["channels_redis.pubsub.RedisPubSubChannelLayer", "channels_redis.core.RedisChannelLayer"],
)
async def test_rediss_url_carries_group_messages_over_tls(backend, tmp_path):
    from django.utils.module_loading import import_string

    redis = TlsRedis(str(tmp_path))
    try:
        layer = import_string(backend)(hosts=[redis.url])
        channel = await layer.new_channel()
        await layer.group_add("projector", channel)
        await layer.group_send("projector", {"type": "frame.test", "n": 1})
        async with asyncio.timeout(5):
            message = await layer.receive(channel)
        assert message == {"type": "frame.test", "n": 1}
        with contextlib.suppress(Exception):
            await layer.flush()
        if hasattr(layer, "close_pools"):
            await layer.close_pools()
    finally:
        redis.close()


# -- the laptop deploy ----------------------------------------------------------------


@pytest.fixture
def lan_server(tmp_path):
    """`python -m installation.serve --lan` as `make lan` runs it, in a scratch place."""
    port = free_port()
    log = tmp_path / "serve.log"
    env = clean_environment(
        SQLITE_PATH=str(tmp_path / "db.sqlite3"),
        DJANGO_STATIC_ROOT=str(tmp_path / "static"),
        WALL_SECRET_KEY_FILE=str(tmp_path / "secret_key"),
    )
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "installation.serve", "--lan", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def healthy() -> bool:
        if process.poll() is not None:
            raise RuntimeError("serve exited:\n" + log.read_text())
        try:
            return fetch(port, "/healthz").status == 200
        except OSError:
            return False

    try:
        wait_for(healthy, 60, "the LAN server")
        yield port, log.read_text(), tmp_path
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(5)


@pytest.mark.database
async def test_lan_serves_the_local_network_over_plain_http_with_debug_off(lan_server):
    port, printed, scratch = lan_server
    public = re.search(r"^\s*PUBLIC_URL=(\S+)$", printed, re.M).group(1)
    assert public.startswith("http://") and public.endswith(f":{port}")
    assert "createsuperuser" in printed or "--create-curator" in printed
    host = public.split("://", 1)[1]
    # A phone on the venue's Wi-Fi: plain http, no redirect, a cookie it can keep.
    phone = fetch(port, "/", {"Host": host})
    assert phone.status == 200
    cookie = [c for c in phone.headers.get_all("Set-Cookie") if "wall_device=" in c][0]
    assert "Secure" not in cookie
    assert "Strict-Transport-Security" not in phone.headers
    for ref in set(STATIC_REF.findall(phone.text)):
        assert HASHED.search(ref), ref  # debug off: the manifest storage names them
    missing_page = fetch(port, "/no-such-page/", {"Host": host})
    assert missing_page.status == 404 and b"URLconf" not in missing_page.body
    # A phone's page opened at that address may open its WebSocket.
    ws = await websockets.connect(
        f"ws://{host}/ws/draw/",
        additional_headers={"Origin": public},
        host="127.0.0.1",
        port=port,
    )
    await ws.close()
    # The generated secret key stays, readable by its owner only.
    key_file = scratch / "secret_key"
    assert key_file.stat().st_mode & 0o077 == 0
    assert len(key_file.read_text().strip()) >= 50


def test_secret_key_is_made_once_and_kept(tmp_path):
    from installation.serve import secret_key_load

    first = secret_key_load(tmp_path / "key")
    assert secret_key_load(tmp_path / "key") == first
    assert len(first) >= 50


def test_lan_environment_defaults_give_way_to_the_operator(tmp_path):
    from installation.serve import lan_environment

    env = lan_environment(
        {"DJANGO_ALLOWED_HOSTS": "wall.local"},
        port=8000,
        address="192.168.1.20",
        secret_key_file=tmp_path / "key",
    )
    assert env["DJANGO_DEBUG"] == "0"
    assert env["DJANGO_HTTPS"] == "0"
    assert env["PUBLIC_URL"] == "http://192.168.1.20:8000"
    assert env["DJANGO_ALLOWED_HOSTS"].split(",")[:2] == ["wall.local", "localhost"]
    assert "192.168.1.20" in env["DJANGO_ALLOWED_HOSTS"].split(",")
    behind_tls = lan_environment(
        {"PUBLIC_URL": "https://wall.gallery.example", "DJANGO_DEBUG": "1"},
        port=8000,
        address="10.0.0.5",
        secret_key_file=tmp_path / "key",
    )
    assert behind_tls["DJANGO_HTTPS"] == "1" and behind_tls["DJANGO_DEBUG"] == "1"
