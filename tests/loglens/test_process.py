"""What importing loglens does to the process it runs in."""

from __future__ import annotations

import os
import subprocess
import sys

PRINT_SETTING = "import loglens, os; print(os.environ.get('GRPC_ENABLE_FORK_SUPPORT'))"


def _setting_after_import(environment: dict[str, str]) -> str:
    result = subprocess.run(
        [sys.executable, "-c", PRINT_SETTING], env=environment, capture_output=True, text=True, check=True
    )
    return result.stdout.strip()


def test_grpc_fork_handlers_are_off_so_a_child_that_only_execs_cannot_crash_in_them() -> None:
    environment = {k: v for k, v in os.environ.items() if k != "GRPC_ENABLE_FORK_SUPPORT"}
    assert _setting_after_import(environment) == "false"


def test_a_users_own_grpc_fork_setting_is_kept() -> None:
    assert _setting_after_import({**os.environ, "GRPC_ENABLE_FORK_SUPPORT": "true"}) == "true"
