"""The optional native ingest path (collector/native/_native.c), built where a C compiler exists.

Everything else is in pyproject.toml. Without a compiler (or with ``CC=false``) the build of the
extension fails, is reported, and skipped: loglens installs and runs on its Python path, and says
so at start. ``LOGLENS_NATIVE_CFLAGS`` adds compiler flags (``make fuzz`` builds with ASan + UBSan).
"""

from __future__ import annotations

import hashlib
import os
import shlex
import sys
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

HERE = Path(__file__).parent
SOURCE = "collector/native/_native.c"


def source_hash() -> str:
    """What the module compiles in and loglens compares with the source it finds (no stale .so)."""
    return hashlib.sha256((HERE / SOURCE).read_bytes()).hexdigest()[:16]


class OptionalBuildExt(build_ext):
    """build_ext that reports a failed build instead of failing the installation."""

    def run(self) -> None:
        try:
            super().run()
        except Exception as error:  # no compiler, no Python headers: the Python path serves
            self._skipped(error)

    def build_extension(self, ext: Extension) -> None:
        try:
            super().build_extension(ext)
        except Exception as error:
            self._skipped(error)

    @staticmethod
    def _skipped(error: BaseException) -> None:
        sys.stderr.write(
            f"loglens: the native ingest path was not built ({error}); loglens runs on its Python path\n"
        )


extra_flags = shlex.split(os.environ.get("LOGLENS_NATIVE_CFLAGS", ""))
setup(
    ext_modules=[
        Extension(
            "loglens.collector.native._native",
            sources=[SOURCE],
            define_macros=[("LOGLENS_NATIVE_SOURCE_HASH", f'"{source_hash()}"')],
            extra_compile_args=[
                "-O2",
                "-std=c11",
                "-Wall",
                "-Wextra",
                "-Wno-missing-field-initializers",
                *extra_flags,
            ],
            extra_link_args=extra_flags,
            optional=True,
        )
    ],
    cmdclass={"build_ext": OptionalBuildExt},
)
