"""make prod-check: bring the production profile up on loopback and walk it in a browser.

What runs is what deploy/ describes: gunicorn with deploy/gunicorn.conf.py, Celery worker
and beat on Redis, nginx from Debian with deploy/nginx/doorstep.conf (its CHANGE values
swapped for loopback ones) over HTTPS with a certificate made here, PostgreSQL as it runs
on this machine, and the settings of deploy/doorstep.env.example with DOORSTEP_DEBUG=0 and
freshly made keys. Steps:

1. `manage.py check --deploy --fail-level WARNING` with exactly that environment: 0 issues.
2. A new database: migrate, the demo street (seed_demo), collectstatic.
3. gunicorn, worker, beat and nginx started; /healthz answers through nginx; port 80
   redirects to HTTPS.
4. Chromium through nginx: the resident logs in and files a case; the street officer logs
   in, finds the case and opens the cockpit. Every page has the CSP header and the browser
   reports no JavaScript error and no CSP violation.
5. Beat → Redis → worker: signed audit checkpoints appear, and `verify_audit` passes.
6. The restore drill: `manage.py backup` of the running site, `manage.py restore` into a
   new empty database (same row counts and checksums per table, audit chain and
   checkpoints intact, same keys), and the recount commands agree with the restored data.
7. The logs: no query string in nginx's access log.

Everything is torn down afterwards (processes, database, Redis databases, files). Prints
each step's time and one line at the end; exit 1 on the first failure.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PY = str(ROOT / ".venv" / "bin" / "python")
BIN = ROOT / ".venv" / "bin"
PG_SERVER = os.environ.get("PROD_CHECK_PG", "postgres://postgres@127.0.0.1:5432")
REDIS = os.environ.get("PROD_CHECK_REDIS", "redis://127.0.0.1:6379")
BROKER_DB, CACHE_DB = 14, 15
PASSWORD = "Doorstep2026"  # the demo logins' password (doorstep/demo/common.py)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def step(name: str, fn: Callable[[], Any], timings: list[tuple[str, float]]) -> Any:
    started = time.perf_counter()
    print(f"→ {name}", flush=True)
    result = fn()
    timings.append((name, time.perf_counter() - started))
    return result


def certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and localhost, made now."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    crt, pem = folder / "cert.pem", folder / "key.pem"
    crt.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    pem.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return crt, pem


def read_env_template() -> dict[str, str]:
    """deploy/doorstep.env.example as a dict (comments and blank values dropped)."""
    env: dict[str, str] = {}
    for line in (ROOT / "deploy" / "doorstep.env.example").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if "=" in line:
            key, value = line.split("=", 1)
            if value.strip():
                env[key.strip()] = value.strip()
    return env


class Check:
    def __init__(self) -> None:
        self.tmp = Path(tempfile.mkdtemp(prefix="doorstep-prodcheck-"))
        self.tmp.chmod(0o755)  # nginx's workers read the static files
        self.db = f"doorstep_prodcheck_{uuid.uuid4().hex[:8]}"
        self.app, self.http, self.https = free_port(), free_port(), free_port()
        self.procs: list[tuple[str, subprocess.Popen[bytes]]] = []
        self.extra_dbs: list[str] = []
        self.timings: list[tuple[str, float]] = []
        self.env = self._env()

    # --- set-up ------------------------------------------------------------------------

    def _env(self) -> dict[str, str]:
        from cryptography.fernet import Fernet

        var = self.tmp / "var"
        (var / "media").mkdir(parents=True)
        env = {**os.environ, **read_env_template()}
        signing = self.tmp / "audit-signing.pem"
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

        signing.write_bytes(
            Ed25519PrivateKey.generate().private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        origin = f"https://127.0.0.1:{self.https}"
        env.update(
            {
                "DOORSTEP_DEBUG": "0",
                "DOORSTEP_ALLOWED_HOSTS": "127.0.0.1,localhost",
                "DOORSTEP_CSRF_TRUSTED_ORIGINS": origin,
                "DOORSTEP_SITE_URL": origin,
                "DOORSTEP_SECRET_KEY": secrets.token_urlsafe(50),
                "DOORSTEP_FIELD_KEY": Fernet.generate_key().decode(),
                "DOORSTEP_AUDIT_KEY": secrets.token_urlsafe(32),
                "DOORSTEP_AUDIT_SIGNING_KEY_FILE": str(signing),
                "DOORSTEP_AUDIT_CHECKPOINT_FILE": str(var / "audit-checkpoints.jsonl"),
                "DOORSTEP_AUDIT_CHECKPOINT_SECONDS": "3",
                "DATABASE_URL": f"{PG_SERVER}/{self.db}",
                "CELERY_BROKER_URL": f"{REDIS}/{BROKER_DB}",
                "DOORSTEP_CACHE_URL": f"{REDIS}/{CACHE_DB}",
                "DOORSTEP_BIND": f"127.0.0.1:{self.app}",
                "DOORSTEP_WEB_WORKERS": "2",
                "DOORSTEP_VAR_DIR": str(var),
                "DOORSTEP_MEDIA_ROOT": str(var / "media"),
                "DOORSTEP_EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend",
                "PYTHONUNBUFFERED": "1",
            }
        )
        for key in ("DOORSTEP_REQUIRE_DB", "DOORSTEP_INPROCESS_JOBS", "DJANGO_SETTINGS_MODULE"):
            env.pop(key, None)
        return env

    def manage(self, *args: str) -> str:
        done = subprocess.run(
            [PY, "manage.py", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        if done.returncode != 0:
            raise SystemExit(f"manage.py {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
        return done.stdout + done.stderr

    def redis_flush(self) -> None:
        import redis

        for n in (BROKER_DB, CACHE_DB):
            redis.Redis.from_url(f"{REDIS}/{n}").flushdb()

    def create_db(self) -> None:
        import psycopg

        with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{self.db}"')

    def drop_db(self) -> None:
        import psycopg

        with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
            for name in (self.db, *self.extra_dbs):
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def start(self, name: str, argv: list[str]) -> None:
        log = (self.tmp / f"{name}.log").open("wb")
        proc = subprocess.Popen(
            argv, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        self.procs.append((name, proc))

    def nginx_conf(self) -> Path:
        site = (ROOT / "deploy" / "nginx" / "doorstep.conf").read_text()
        crt, key = certificate(self.tmp)
        swaps = {
            "server 127.0.0.1:8000;": f"server 127.0.0.1:{self.app};",
            "listen 80;": f"listen 127.0.0.1:{self.http};",
            "listen 443 ssl http2;": f"listen 127.0.0.1:{self.https} ssl http2;",
            "server_name doorstep.example.org;": "server_name 127.0.0.1 localhost;",
            "/etc/ssl/doorstep/fullchain.pem": str(crt),
            "/etc/ssl/doorstep/privkey.pem": str(key),
            "/var/log/nginx/": f"{self.tmp}/nginx-",
            "/srv/doorstep/var/static/": f"{self.tmp}/var/static/",
        }
        for old, new in swaps.items():
            if old not in site:
                raise SystemExit(f"deploy/nginx/doorstep.conf no longer has {old!r}")
            site = site.replace(old, new)
        (self.tmp / "doorstep.conf").write_text(site)
        temp = self.tmp / "nginx-temp"
        temp.mkdir()
        main = f"""
user root;
worker_processes 1;
pid {self.tmp}/nginx.pid;
error_log {self.tmp}/nginx-main-error.log warn;
daemon off;
events {{ worker_connections 256; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    client_body_temp_path {temp}/body;
    proxy_temp_path {temp}/proxy;
    fastcgi_temp_path {temp}/fastcgi;
    uwsgi_temp_path {temp}/uwsgi;
    scgi_temp_path {temp}/scgi;
    access_log off;
    include {self.tmp}/doorstep.conf;
}}
"""
        path = self.tmp / "nginx.conf"
        path.write_text(main)
        test = subprocess.run(["nginx", "-t", "-c", str(path)], capture_output=True, text=True)
        if test.returncode != 0:
            raise SystemExit(f"nginx -t failed:\n{test.stderr}")
        return path

    # --- checks ------------------------------------------------------------------------

    def get(self, url: str) -> tuple[int, dict[str, str], str]:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE

        class NoRedirect(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *args: Any, **kwargs: Any) -> None:
                return None

        opener = urllib.request.build_opener(
            urllib.request.HTTPSHandler(context=context), NoRedirect()
        )
        try:
            with opener.open(url, timeout=10) as response:
                return response.status, dict(response.headers), response.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, dict(exc.headers), exc.read().decode(errors="replace")

    def wait_up(self) -> None:
        deadline = time.monotonic() + 60
        url = f"https://127.0.0.1:{self.https}/healthz"
        while time.monotonic() < deadline:
            for name, proc in self.procs:
                if proc.poll() is not None:
                    raise SystemExit(f"{name} exited:\n{(self.tmp / f'{name}.log').read_text()}")
            try:
                status, headers, body = self.get(url)
                if status == 200 and '"postgresql"' in body:
                    return
            except OSError:
                pass
            time.sleep(0.5)
        raise SystemExit("the site did not answer /healthz through nginx within 60 s")

    def redirects_to_https(self) -> None:
        status, headers, _ = self.get(f"http://127.0.0.1:{self.http}/accounts/login/")
        location = headers.get("Location", "")
        if status != 301 or not location.startswith("https://"):
            raise SystemExit(f"port 80 should redirect to HTTPS: {status} {location}")

    def browser(self) -> None:
        from playwright.sync_api import expect, sync_playwright

        base = f"https://127.0.0.1:{self.https}"
        problems: list[str] = []
        with sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path="/usr/bin/chromium",
                args=["--headless", "--no-sandbox", "--disable-gpu"],
            )

            def page_as(username: str) -> Any:
                context = browser.new_context(
                    base_url=base, ignore_https_errors=True, locale="zh-CN"
                )
                page = context.new_page()
                page.on("pageerror", lambda exc: problems.append(f"{username}: {exc}"))
                page.on(
                    "console",
                    lambda msg: (
                        problems.append(f"{username}: {msg.text}")
                        if msg.type == "error" and "Content Security Policy" in msg.text
                        else None
                    ),
                )
                page.on(
                    "response",
                    lambda r: (
                        problems.append(f"no CSP on {r.url}")
                        if r.request.resource_type == "document"
                        and r.status == 200
                        and "content-security-policy" not in r.headers
                        else None
                    ),
                )
                page.goto("/accounts/login/")
                page.get_by_label("用户名").fill(username)
                page.get_by_label("密码").fill(PASSWORD)
                page.get_by_role("button", name="登录").click()
                page.wait_for_load_state()
                return page

            resident = page_as("resident")
            resident.goto("/cases/new/")
            resident.locator("#category-search").fill("物业报修")  # the category type-ahead
            resident.locator("#category-found input[name=category]").first.check()
            text = f"生产环境冒烟测试：楼道灯不亮 {uuid.uuid4().hex[:6]}"
            resident.locator("#id_description").fill(text)
            resident.get_by_role("button", name="提交").click()
            expect(resident.get_by_role("heading", level=1)).to_have_text("提交成功")
            number = resident.locator("#tracking-number").inner_text().strip()

            street = page_as("street")
            street.goto(f"/cases/{number}/")
            expect(street.locator("#case-status")).to_have_text("待受理")
            street.goto("/cockpit/")
            street.wait_for_load_state("networkidle")
            expect(street.locator("h1")).to_contain_text("驾驶舱")
            street.screenshot(path=str(self.tmp / "cockpit.png"))
            browser.close()
        if problems:
            raise SystemExit("browser problems:\n" + "\n".join(problems[:20]))
        print(f"  filed {number} as resident, seen by the street officer; cockpit drawn")

    def checkpoints_from_beat(self) -> None:
        path = Path(self.env["DOORSTEP_AUDIT_CHECKPOINT_FILE"])
        deadline = time.monotonic() + 45
        while time.monotonic() < deadline:
            if path.exists() and path.read_text().strip():
                break
            time.sleep(0.5)
        else:
            worker = (self.tmp / "worker.log").read_text()[-2000:]
            raise SystemExit(f"no audit checkpoint from beat via the worker in 45 s:\n{worker}")
        out = self.manage("verify_audit")
        if "审计日志完好" not in out:
            raise SystemExit(out)
        print("  " + out.strip().splitlines()[-1])

    def restore_drill(self) -> None:
        """Back up the running site, restore into a fresh database, compare, recount."""
        import psycopg

        out = self.manage("backup", str(self.tmp / "backups"))
        (done,) = [line for line in out.splitlines() if line.startswith("备份完成：")]
        folder = done.split("：", 1)[1].strip()
        restored = f"{self.db}_restored"
        with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{restored}"')
        self.extra_dbs.append(restored)
        source_env = self.env
        self.env = {
            **source_env,
            "DATABASE_URL": f"{PG_SERVER}/{restored}",
            "DOORSTEP_MEDIA_ROOT": str(self.tmp / "var" / "media-restored"),
            "DOORSTEP_AUDIT_CHECKPOINT_FILE": str(self.tmp / "var" / "restored-checkpoints.jsonl"),
        }
        try:
            print("  " + self.manage("restore", folder).strip().splitlines()[-1])
            for command in ("recount_case_rollups", "recount_population", "recount_points"):
                self.manage(command)  # exit 1 on any difference
            print("  " + self.manage("verify_audit").strip().splitlines()[-1])
        finally:
            self.env = source_env

    def access_log_has_no_query(self) -> None:
        log = (self.tmp / "nginx-doorstep.access.log").read_text()
        if not log.strip():
            raise SystemExit("nginx wrote no access log")
        if "?" in log:
            raise SystemExit("a query string reached nginx's access log")

    def run(self) -> None:
        started = time.perf_counter()
        t = self.timings
        try:
            out = step("check --deploy", lambda: self.manage(
                "check", "--deploy", "--fail-level", "WARNING"), t)  # fmt: skip
            if "no issues (0 silenced)" not in out:
                raise SystemExit(out)
            step("database", self.create_db, t)
            step("redis", self.redis_flush, t)
            step("migrate", lambda: self.manage("migrate", "--noinput", "-v0"), t)
            step("seed_demo", lambda: self.manage("seed_demo", "--preset", "xueyuanlu"), t)
            step("collectstatic", lambda: self.manage("collectstatic", "--noinput", "-v0"), t)
            conf = step("nginx -t", self.nginx_conf, t)

            def up() -> None:
                self.start("gunicorn", [str(BIN / "gunicorn"), "config.wsgi:application",
                                        "-c", "deploy/gunicorn.conf.py"])  # fmt: skip
                queues = "celery,imports,deadlines,notifications,geo,credits"
                self.start("worker", [str(BIN / "celery"), "-A", "config", "worker", "-Q",
                                      queues, "--concurrency", "1", "--loglevel", "INFO"])  # fmt: skip
                self.start("beat", [str(BIN / "celery"), "-A", "config", "beat", "--schedule",
                                    str(self.tmp / "beat-schedule"), "--loglevel", "INFO"])  # fmt: skip
                self.start("nginx", ["nginx", "-c", str(conf)])
                self.wait_up()

            step("start gunicorn, worker, beat, nginx", up, t)
            step("port 80 redirects", self.redirects_to_https, t)
            step("browser smoke test through nginx", self.browser, t)
            step("beat → Redis → worker: audit checkpoints", self.checkpoints_from_beat, t)
            step("backup, restore into a new database, compare, recount", self.restore_drill, t)
            step("access log", self.access_log_has_no_query, t)
        finally:
            self.teardown()
        total = time.perf_counter() - started
        for name, seconds in t:
            print(f"  {seconds:6.1f} s  {name}")
        print(f"prod-check: OK in {total:.0f} s (nginx + gunicorn + Celery worker/beat on "
              f"Redis + PostgreSQL, check --deploy 0 issues)")  # fmt: skip

    def teardown(self) -> None:
        for _name, proc in reversed(self.procs):
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for _name, proc in self.procs:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
        try:
            self.drop_db()
            self.redis_flush()
        finally:
            if os.environ.get("PROD_CHECK_KEEP"):
                print(f"  kept {self.tmp}")
            else:
                shutil.rmtree(self.tmp, ignore_errors=True)


if __name__ == "__main__":
    if not shutil.which("nginx"):
        sys.exit("nginx not found: run `make prod-check` (it installs Debian's nginx-light)")
    Check().run()
