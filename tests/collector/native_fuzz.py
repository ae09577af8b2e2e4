"""A differential fuzzer of the native OTLP decoder against the Python path (native_oracle.py).

Bodies are written field by field in protobuf's wire format, aimed at the rare paths: wrong
wire types, truncations, repeated fields and keys, invalid UTF-8, NULs, extreme numbers (a
duration of 1.8e308), huge lengths, unknown fields and groups, values of every kind in every
column's attribute; then some are mutated byte by byte. Each body goes through both paths; a
difference, or a body protobuf's runtime refuses and the native decoder accepts, is a failure.

``python -m tests.collector.native_fuzz --bodies 1000000`` runs it long (``make fuzz`` does, with
the extension built with ASan + UBSan, loaded with ``--module``).
"""

from __future__ import annotations

import argparse
import importlib.util
import random
import struct
import sys
import time
from collections import Counter
from collections.abc import Callable

RECEIVED_US = 1_764_000_000_000_000  # 2025-11-24
MAX_MESSAGE_CHARS = 1024

KEYS = [
    "exception.type", "error_type", "error.type", "exception.message", "exception.stacktrace", "stack_trace",
    "code.function.name", "code.function", "function_name", "code.file.path", "code.filepath", "file_path",
    "http.request.method", "http.method", "method", "http.route", "path", "url.path", "http.target",
    "user.id", "enduser.id", "user_id", "session.id", "session_id", "duration_ms", "action_type", "log_type",
    "trace_id", "span_id", "service", "environment", "service_version", "http.response.status_code",
    "http.status_code", "http_status", "original_timestamp_us", "event.name", "url.path", "body",
    "custom", "k", "", "ключ", "a\"b\\c", "ctl\x01\n", "otel.scope.name", "deployment.environment.name",
]  # fmt: skip
RESOURCE_KEYS = [
    "service.name", "service.version", "deployment.environment.name", "deployment.environment",
    "loglens.log_type", "telemetry.sdk.language", "os.type", "os.name", "browser.brands", "browser",
    "host.name", "otel.scope.name", "k",
]  # fmt: skip
STRINGS = [
    "", "x", "GET", "get", "Post", "poſt", "CONNECT", "INFO", "warning", " Err ", "\tcritical\n", "ﬁne", "İnfo",
    "prod", "PROD", "qa", " staging ", "localhost", "Développement", "webjs", "swift", "Android", "iOS", "İos",
    "frontend", "Worker", "iot", "mobile", "404", "٤٠٤", "²²²", "12.5", " 1_000 ", "1e3", "inf", "-inf", "nan",
    "9999999.9995", "1e308", "abc", "١٢", "a\x00b", "\\u0000", "back\\slash", "quote\"", "ctl\x01\x1f\x7f",
    "한국어 로그", "emoji 😀", "\u2028", "a" * 101, "b" * 2049, "c" * 1025, "/api/users/{id}", "payment failed",
]  # fmt: skip
DOUBLES = [
    0.0, -0.0, 1.5, 182.5, 0.0005, 0.0015, 0.0025, 1e-7, 2.5e-5, 1e16, 1e20, 1e22, 123456789.123, 9999999.999,
    9999999.9995, 10000000.0, -9999999.999, 1e305, 1.8e305, 1.7976931348623157e308, 5e-324, float("inf"),
    float("-inf"), float("nan"), 0.1, 100.0, 4.35, 2.675,
]  # fmt: skip
INTS = [0, 1, -1, 200, 404, 500, 9999999, 10000000, -10000000, 2**53 + 1, 2**63 - 1, -(2**63), 182]
TIMES = [
    0, 1, RECEIVED_US * 1000, RECEIVED_US * 1000 + 999, 946_684_800_000_000_000, 946_684_799_999_999_999,
    (RECEIVED_US + 86_400_000_000) * 1000, (RECEIVED_US + 86_400_000_001) * 1000, 2**64 - 1, 2**63,
]  # fmt: skip
SEVERITIES = [0, 1, 4, 5, 9, 12, 13, 17, 21, 24, 25, 30, -1, 2**31, 2**32 + 9]


# --- protobuf's wire format, written by hand so that it can be written wrong -------------------


def varint(value: int) -> bytes:
    value &= (1 << 64) - 1
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def tag(field: int, wire: int) -> bytes:
    return varint(field << 3 | wire)


def f_varint(field: int, value: int) -> bytes:
    return tag(field, 0) + varint(value)


def f_len(field: int, data: bytes) -> bytes:
    return tag(field, 2) + varint(len(data)) + data


def f_fixed64(field: int, value: int) -> bytes:
    return tag(field, 1) + struct.pack("<Q", value & ((1 << 64) - 1))


def f_double(field: int, value: float) -> bytes:
    return tag(field, 1) + struct.pack("<d", value)


def f_fixed32(field: int, value: int) -> bytes:
    return tag(field, 5) + struct.pack("<I", value & 0xFFFFFFFF)


def f_str(field: int, text: str) -> bytes:
    return f_len(field, text.encode("utf-8", "surrogatepass"))


class Gen:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def chance(self, p: float) -> bool:
        return self.rng.random() < p

    def text(self) -> str:
        rng = self.rng
        if self.chance(0.85):
            return rng.choice(STRINGS)
        return "".join(
            chr(rng.choice([rng.randrange(32, 127), rng.randrange(0x2FFF)])) for _ in range(rng.randrange(8))
        )

    def raw_bytes(self) -> bytes:
        rng = self.rng
        return rng.choice([b"", b"<\xe4\x93", b"\x00", b"\xff\xfe", "ok ✓".encode(), b"\xed\xa0\x80", b"\xc0\xaf",
                           bytes(rng.randrange(256) for _ in range(rng.randrange(12)))])  # fmt: skip

    def any_value(self, depth: int = 0) -> bytes:
        rng = self.rng
        kind = rng.randrange(12)
        if kind <= 3:
            out = f_str(1, self.text())
        elif kind == 4:
            out = f_varint(2, rng.choice([0, 1, 2, 2**64 - 1]))
        elif kind == 5:
            out = f_varint(3, rng.choice(INTS))
        elif kind == 6:
            out = f_double(4, rng.choice(DOUBLES) if self.chance(0.9) else rng.uniform(-1e4, 1e4))
        elif kind == 7:
            out = f_len(7, self.raw_bytes())
        elif kind == 8:
            out = b""  # no value at all
        elif kind == 9 and depth < 2 and self.chance(0.1):
            out = f_len(5, b"".join(f_len(1, self.any_value(depth + 1)) for _ in range(rng.randrange(3))))
        elif kind == 10 and depth < 2 and self.chance(0.1):
            out = f_len(6, b"".join(f_len(1, self.key_value(KEYS, depth + 1)) for _ in range(rng.randrange(3))))
        else:
            out = f_str(1, rng.choice(STRINGS))
        if self.chance(0.05):  # a second member of the oneof: the last wins
            out += self.any_value(depth + 1) if depth < 2 else f_varint(3, 7)
        if self.chance(0.003):
            out += self.oddity()
        return out

    def key_value(self, keys: list[str], depth: int = 0) -> bytes:
        rng = self.rng
        key = rng.choice(keys) if self.chance(0.9) else self.text()
        parts = [f_str(1, key)]
        if not self.chance(0.05):
            parts.append(f_len(2, self.any_value(depth)))
        if self.chance(0.005):
            parts.append(self.oddity())
        if self.chance(0.2):
            rng.shuffle(parts)
        return b"".join(parts)

    def oddity(self) -> bytes:
        """An unknown field, a wrong wire type for a known one, a group, a strindex."""
        rng = self.rng
        choice = rng.randrange(8)
        field = rng.choice([1, 2, 3, 5, 6, 7, 8, 9, 10, 11, 12, 13, 99, 1000, 536870911])
        if choice == 0:
            return f_varint(field, rng.randrange(1 << 40))
        if choice == 1:
            return f_fixed64(field, rng.randrange(1 << 64))
        if choice == 2:
            return f_fixed32(field, rng.randrange(1 << 32))
        if choice == 3:
            return f_len(field, self.raw_bytes())
        if choice == 4:
            return tag(field, 3) + f_varint(1, 1) + tag(field, 4)  # a group
        if choice == 5:
            return tag(field, rng.choice([6, 7]))
        if choice == 6:
            return f_str(field, self.text())
        return tag(0, rng.randrange(6)) + b"\x00"

    def record(self) -> bytes:
        rng = self.rng
        parts = self.record_scalars()
        if self.chance(0.9):
            parts.append(f_len(5, self.any_value()))
        parts += [f_len(6, self.key_value(KEYS)) for _ in range(rng.choice([0, 1, 2, 3, 5, 8, 12]))]
        if self.chance(0.5):
            parts.append(f_len(9, rng.choice([bytes(16), bytes(8), rng.randbytes(16), rng.randbytes(3), b""])))
        if self.chance(0.5):
            parts.append(f_len(10, rng.choice([bytes(8), bytes(16), rng.randbytes(8), rng.randbytes(1), b""])))
        if self.chance(0.01):
            parts.append(self.oddity())
        if self.chance(0.01):
            parts.append(rng.choice(parts) if parts else b"")  # a repeated field
        if self.chance(0.3):
            rng.shuffle(parts)
        return b"".join(parts)

    def record_scalars(self) -> list[bytes]:
        rng = self.rng
        fields: list[tuple[float, Callable[[], bytes]]] = [
            (0.9, lambda: f_fixed64(1, rng.choice(TIMES))),
            (0.3, lambda: f_fixed64(11, rng.choice(TIMES))),
            (0.85, lambda: f_varint(2, rng.choice(SEVERITIES))),
            (0.4, lambda: f_str(3, self.text())),
            (0.2, lambda: f_varint(7, rng.randrange(100))),
            (0.2, lambda: f_fixed32(8, rng.randrange(1 << 32))),
            (0.2, lambda: f_str(12, self.text())),
        ]
        return [make() for p, make in fields if self.chance(p)]

    def resource(self) -> bytes:
        rng = self.rng
        parts = [f_len(1, self.key_value(RESOURCE_KEYS)) for _ in range(rng.choice([0, 1, 2, 3, 4, 6]))]
        if self.chance(0.1):
            parts.append(f_varint(2, rng.randrange(10)))
        if self.chance(0.02):
            parts.append(f_len(3, f_str(2, "service")))  # entity_refs
        if self.chance(0.03):
            parts.append(self.oddity())
        return b"".join(parts)

    def scope_logs(self) -> bytes:
        rng = self.rng
        parts = []
        if self.chance(0.6):
            scope = b""
            if self.chance(0.8):
                scope += f_str(1, rng.choice(["", "app.module", "한국", "x\x00y", self.text()]))
            if self.chance(0.3):
                scope += f_str(2, "1.0")
            if self.chance(0.03):
                scope += f_len(3, self.key_value(KEYS))
            if self.chance(0.05):
                scope += f_varint(4, 1)
            parts.append(f_len(1, scope))
        parts += [f_len(2, self.record()) for _ in range(rng.choice([0, 1, 2, 3, 4, 6, 9]))]
        if self.chance(0.1):
            parts.append(f_str(3, "https://opentelemetry.io/schemas/1.21.0"))
        if self.chance(0.03):
            parts.append(self.oddity())
        if self.chance(0.2):
            rng.shuffle(parts)
        return b"".join(parts)

    def request(self) -> bytes:
        rng = self.rng
        out = []
        for _ in range(rng.choice([0, 1, 1, 1, 1, 2, 3])):
            parts = []
            if self.chance(0.9):
                parts.append(f_len(1, self.resource()))
            parts += [f_len(2, self.scope_logs()) for _ in range(rng.choice([0, 1, 1, 1, 2]))]
            if self.chance(0.05):
                parts.append(f_str(3, self.text()))
            if self.chance(0.03):
                parts.append(f_len(1, self.resource()))  # resource twice: protobuf merges them
            if self.chance(0.2):
                rng.shuffle(parts)
            out.append(f_len(1, b"".join(parts)))
        if self.chance(0.02):
            out.append(self.oddity())
        return b"".join(out)


def mutate(rng: random.Random, body: bytes) -> bytes:
    if not body:
        return body
    choice = rng.randrange(7)
    at = rng.randrange(len(body))
    if choice == 0:
        return body[:at]
    if choice == 1:
        return body[:at] + bytes([rng.randrange(256)]) + body[at + 1 :]
    if choice == 2:
        return body[:at] + rng.choice([b"\xff", b"\xc0\x80", b"\xed\xa0\x80", b"\x00", b"\x80"]) + body[at:]
    if choice == 3:
        return (
            body[:at]
            + rng.choice([varint(rng.choice([2**31, 2**32 + 5, 2**63, 127, 128])), b"\x80" * rng.randrange(1, 10)])
            + body[at:]
        )
    if choice == 4:
        return body[:at] + body[at + 1 :]
    if choice == 5:
        end = min(len(body), at + rng.randrange(1, 16))
        return body[:at] + body[at:end] * 2 + body[end:]
    return body[:at] + b"\xff" * 10 + body[at:]


def bodies(seed: int) -> Callable[[], bytes]:
    rng = random.Random(seed)
    gen = Gen(rng)

    def next_body() -> bytes:
        body = gen.request()
        if rng.random() < 0.25:
            for _ in range(rng.randrange(1, 3)):
                body = mutate(rng, body)
        return body

    return next_body


def say(text: str) -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def run(count: int, seed: int, report_every: int = 0) -> tuple[Counter[str], list[tuple[bytes, str]]]:
    """Fuzz ``count`` bodies; the kinds of outcome counted, and the failures (body, difference)."""
    from tests.collector.native_oracle import compare

    next_body = bodies(seed)
    outcomes: Counter[str] = Counter()
    failures: list[tuple[bytes, str]] = []
    started = time.monotonic()
    for n in range(1, count + 1):
        body = next_body()
        kind, problem = compare(body, RECEIVED_US, MAX_MESSAGE_CHARS)
        outcomes[kind] += 1
        if problem is not None:
            failures.append((body, problem))
            if len(failures) >= 20:
                break
        if report_every and n % report_every == 0:
            elapsed = time.monotonic() - started
            say(f"{n} bodies in {elapsed:.0f} s: {dict(outcomes)}; {len(failures)} differences")
    return outcomes, failures


def _load_module(path: str) -> None:
    """Load a separately built extension (make fuzz's sanitized one) as loglens's."""
    name = "loglens.collector.native._native"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    sys.modules[name] = module


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--bodies", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=int(time.time()))
    parser.add_argument("--module", help="an extension built apart (make fuzz: with ASan + UBSan)")
    arguments = parser.parse_args(argv)
    if arguments.module:
        _load_module(arguments.module)
    from loglens.collector import native

    status = native.configure("on")
    say(f"native: {status.reason} ({native.module_file()}); seed {arguments.seed}; {arguments.bodies} bodies")
    started = time.monotonic()
    outcomes, failures = run(arguments.bodies, arguments.seed, report_every=50_000)
    elapsed = time.monotonic() - started
    total = sum(outcomes.values())
    say(f"{total} bodies in {elapsed:.0f} s: {dict(outcomes)}; {len(failures)} differences")
    for body, problem in failures:
        say(f"DIFFERENCE: {problem}\n  body: {body!r}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
