"""Deterministic, scenario-rich application logs, for the demo and for evaluating log questions.

Adapted, with type hints, from the text2sql evaluation generator the team shares
(``gen_logs.py``): the demo data and the evaluation data are the same scenarios, so the
questions of ``loglens eval`` have answers in ``loglens up --demo`` too.

Writes NDJSON, one log record a line, in the seed's 21-field shape (id, deleted and
created_at defaults aside), spread over the 7 days before --now, with incidents
planted so that realistic questions have non-trivial answers:

- background traffic from every service, with a daily rhythm;
- a deploy of the first service one version up, 3 hours before --now, after which its
  error rate rises;
- an incident in the last hour: connection timeouts in the first service in
  production, followed by cascade errors in the second;
- one slow endpoint (its latency is ~10x the others);
- repeated login failures, most of them from one IP address;
- front-end errors with browser and device in metadata;
- SQL-injection-looking paths from one IP address;
- logs without trace_id, exact duplicates, DEBUG logs in production, oversized messages;
- user sessions that walk through several pages.

Every random choice comes from one seeded generator: the same --seed, --count and --now
give byte-identical output.

usage: python -m loglens.demo.scenario [--count N] [--seed S] [--now ISO8601] [--vocab F.json] > logs.ndjson
The vocabulary (service names, error types, paths, ...) can be replaced with --vocab;
the keys are those of DEFAULT_VOCAB.
"""

import argparse
import datetime as dt
import json
import random
import sys
from typing import Any

Record = dict[str, Any]

DEFAULT_VOCAB = {
    # the first backend service has the deploy and the incident; the second has the cascade
    "backend_services": ["payment-api", "order-api", "user-api", "auth-service", "search-api", "gateway"],
    "worker_services": ["inventory-worker", "notification-worker"],
    "frontend_service": "web-frontend",
    "mobile_service": "mobile-app",
    "auth_service": "auth-service",
    "slow_path": "/api/v1/search",
    "login_path": "/api/v1/login",
    "search_path": "/api/v1/search",
    "paths": [
        "/api/v1/payments",
        "/api/v1/orders",
        "/api/v1/users/{id}",
        "/api/v1/login",
        "/api/v1/search",
        "/api/v1/cart",
        "/api/v1/inventory",
        "/health",
    ],
    "pages": ["/", "/products", "/cart", "/checkout", "/checkout/confirm", "/account"],
    "incident_error": "DatabaseConnectionTimeout",
    "cascade_error": "UpstreamServiceError",
    "error_types": [
        "ValidationError",
        "PaymentGatewayError",
        "RateLimitExceeded",
        "NullPointerException",
        "KeyError",
        "ResourceNotFound",
    ],
    "frontend_errors": ["TypeError", "ChunkLoadError", "NetworkError"],
    "auth_error": "AuthenticationFailure",
    "browsers": ["Chrome", "Safari", "Firefox", "Edge"],
    "regions": ["ap-northeast-2", "us-east-1", "eu-west-1"],
    "attacker_ip": "203.0.113.66",
    "scanner_ip": "198.51.100.23",
    "functions": [
        "handle_request",
        "process_payment",
        "create_order",
        "get_user",
        "search",
        "authenticate",
        "render",
    ],
    "files": [
        "app/handlers.py",
        "app/payments.py",
        "app/orders.py",
        "app/auth.py",
        "src/pages/Checkout.tsx",
        "src/api/client.ts",
    ],
}

LEVEL_WEIGHTS = {"TRACE": 1, "DEBUG": 12, "INFO": 70, "WARN": 10, "ERROR": 6, "FATAL": 1}


class Gen:
    def __init__(self, vocab: dict[str, Any], seed: int, now: dt.datetime):
        self.v = vocab
        self.r = random.Random(seed)
        self.now = now
        self.versions: dict[str, tuple[int, int]] = {}
        for s in (
            vocab["backend_services"]
            + vocab["worker_services"]
            + [vocab["frontend_service"], vocab["mobile_service"]]
        ):
            self.versions[s] = (self.r.randint(1, 4), self.r.randint(0, 9))
        self.users = [f"user_{i:04d}" for i in range(1, 801)]
        self.deploy_at = now - dt.timedelta(hours=3)

    # --- helpers -----------------------------------------------------------------
    def ts_back(self, max_seconds: float, min_seconds: float = 0.0) -> dt.datetime:
        # daily rhythm: accept a time with a probability that peaks in the (UTC) afternoon
        while True:
            t = self.now - dt.timedelta(seconds=self.r.uniform(min_seconds, max_seconds))
            if self.r.random() < 0.45 + 0.55 * abs(((t.hour + 12) % 24) - 12) / 12:
                return t

    def version(self, service: str, at: dt.datetime) -> str:
        major, minor = self.versions[service]
        if service == self.v["backend_services"][0] and at >= self.deploy_at:
            minor += 1
        return f"v{major}.{minor}.0"

    def ip(self) -> str:
        return f"10.{self.r.randint(0, 3)}.{self.r.randint(0, 255)}.{self.r.randint(1, 254)}"

    def trace(self) -> str:
        return f"{self.r.getrandbits(128):032x}"

    def base(self, service: str, at: dt.datetime, level: str, log_type: str = "BACKEND") -> Record:
        env = self.r.choices(["production", "staging", "development"], [70, 20, 10])[0]
        return {
            "created_at": at.isoformat(timespec="microseconds"),
            "level": level,
            "log_type": log_type,
            "service": service,
            "environment": env,
            "service_version": self.version(service, at),
            "trace_id": self.trace(),
            "user_id": self.r.choice(self.users) if self.r.random() < 0.75 else None,
            "session_id": None,
            "error_type": None,
            "message": "",
            "stack_trace": None,
            "path": None,
            "method": None,
            "action_type": None,
            "function_name": self.r.choice(self.v["functions"]),
            "file_path": self.r.choice(self.v["files"]),
            "duration_ms": None,
            "metadata": {
                "host": f"{service}-{self.r.randint(1, 4)}",
                "region": self.r.choice(self.v["regions"]),
            },
        }

    def stack(self, error: str, fn: str, file: str) -> str:
        return (
            f'Traceback (most recent call last):\n  File "{file}", line {self.r.randint(10, 400)}, in {fn}\n'
            f"    result = await handler(request)\n{error}: {self.error_text(error)}"
        )

    def error_text(self, error: str) -> str:
        return {
            self.v["incident_error"]: "connection timeout: could not acquire a connection within 5000 ms",
            self.v["cascade_error"]: "upstream responded 503 Service Unavailable",
        }.get(error, f"{error.lower()} while processing the request")

    # --- kinds of records ----------------------------------------------------------
    def backend(self, at: dt.datetime, service: str | None = None, level: str | None = None) -> Record:
        v = self.v
        service = service or self.r.choice(v["backend_services"] + v["worker_services"])
        if level is None:
            level = self.r.choices(list(LEVEL_WEIGHTS), list(LEVEL_WEIGHTS.values()))[0]
            # after the deploy, the deployed service fails more often
            if service == v["backend_services"][0] and at >= self.deploy_at and self.r.random() < 0.15:
                level = "ERROR"
        kind = "WORKER" if service in v["worker_services"] else "BACKEND"
        rec = self.base(service, at, level, kind)
        path = self.r.choice(v["paths"]) if kind == "BACKEND" else None
        rec["path"] = path
        rec["method"] = (
            self.r.choice(["GET", "GET", "GET", "POST", "POST", "PUT", "DELETE", "PATCH"])
            if kind == "BACKEND"
            else None
        )
        mu = 4.8 if path == v["slow_path"] else 2.9
        rec["duration_ms"] = round(min(self.r.lognormvariate(mu, 0.7), 60000.0), 3)
        status = 200
        if level in ("ERROR", "FATAL"):
            err = self.r.choice(v["error_types"])
            rec["error_type"] = err
            rec["message"] = f"{err}: {self.error_text(err)}"
            rec["stack_trace"] = self.stack(err, rec["function_name"], rec["file_path"])
            status = self.r.choice([500, 500, 502, 503, 400])
        elif level == "WARN":
            rec["message"] = self.r.choice(
                [
                    f"slow response from {path or 'job'} ({rec['duration_ms']:.0f} ms)",
                    "retrying request after transient failure",
                    "cache miss for key session:*",
                ]
            )
        elif level in ("DEBUG", "TRACE"):
            rec["message"] = f"debug: entering {rec['function_name']} with {self.r.randint(1, 9)} args"
        else:
            rec["message"] = (
                f"{rec['method']} {path} completed" if path else f"job {self.r.randint(1000, 9999)} completed"
            )
        if kind == "BACKEND":
            rec["metadata"]["http_status"] = status
            rec["metadata"]["ip"] = self.ip()
        return rec

    def incident(self) -> list[Record]:
        v = self.v
        out: list[Record] = []
        first, second = v["backend_services"][0], v["backend_services"][1]
        for _ in range(140):
            at = self.now - dt.timedelta(seconds=self.r.uniform(60, 50 * 60))
            rec = self.backend(at, first, "ERROR")
            rec["environment"] = "production"
            rec["error_type"] = v["incident_error"]
            rec["message"] = f"{v['incident_error']}: {self.error_text(v['incident_error'])}"
            rec["stack_trace"] = self.stack(v["incident_error"], rec["function_name"], rec["file_path"])
            rec["duration_ms"] = round(self.r.uniform(5000, 5200), 3)
            out.append(rec)
        for _ in range(60):
            at = self.now - dt.timedelta(seconds=self.r.uniform(60, 40 * 60))
            rec = self.backend(at, second, "ERROR")
            rec["environment"] = "production"
            rec["error_type"] = v["cascade_error"]
            rec["message"] = f"{v['cascade_error']}: call to {first} failed: upstream responded 503"
            out.append(rec)
        return out

    def auth_failures(self) -> list[Record]:
        v = self.v
        out: list[Record] = []
        for i in range(220):
            at = self.ts_back(86400)
            rec = self.base(v["auth_service"], at, "WARN")
            ip = v["attacker_ip"] if i < 160 else self.ip()
            user = self.r.choice(self.users[:5]) if ip == v["attacker_ip"] else self.r.choice(self.users)
            rec.update(
                path=v["login_path"],
                method="POST",
                user_id=user,
                error_type=v["auth_error"],
                message=f"login failed for {user}: invalid password",
                duration_ms=round(self.r.uniform(20, 80), 3),
            )
            rec["metadata"].update(ip=ip, http_status=401)
            out.append(rec)
        return out

    def injection_attempts(self) -> list[Record]:
        v = self.v
        out: list[Record] = []
        payloads = [
            "' OR 1=1 --",
            "'; DROP TABLE users; --",
            "1 UNION SELECT password FROM users",
            "<script>alert(1)</script>",
        ]
        for _ in range(35):
            at = self.ts_back(2 * 86400)
            rec = self.base(self.r.choice(v["backend_services"]), at, "WARN")
            p = self.r.choice(payloads)
            rec.update(
                path=f"{v['search_path']}?q={p}",
                method="GET",
                error_type="ValidationError",
                message=f"rejected suspicious input: {p}",
                duration_ms=round(self.r.uniform(1, 5), 3),
            )
            rec["metadata"].update(ip=v["scanner_ip"], http_status=400)
            out.append(rec)
        return out

    def frontend(self, at: dt.datetime) -> Record:
        v = self.v
        mobile = self.r.random() < 0.3
        service = v["mobile_service"] if mobile else v["frontend_service"]
        level = self.r.choices(["INFO", "WARN", "ERROR"], [85, 7, 8])[0]
        rec = self.base(service, at, level, "MOBILE" if mobile else "FRONTEND")
        page = self.r.choice(v["pages"])
        rec.update(
            path=page,
            action_type=self.r.choice(["click", "submit", "navigate"]),
            file_path=self.r.choice(["src/pages/Checkout.tsx", "src/api/client.ts", "src/App.tsx"]),
        )
        browser = v["browsers"][1] if mobile and self.r.random() < 0.6 else self.r.choice(v["browsers"])
        rec["metadata"].update(
            browser=browser,
            device="mobile" if mobile else self.r.choice(["desktop", "desktop", "tablet"]),
            page_load_ms=round(self.r.lognormvariate(6.8 if page.startswith(v["pages"][3]) else 6.2, 0.4)),
        )
        if level == "ERROR":
            # the checkout pages break mostly on the second browser of the list
            err = self.r.choice(v["frontend_errors"])
            if page.startswith(v["pages"][3]) and browser == v["browsers"][1]:
                err = v["frontend_errors"][0]
            rec["error_type"] = err
            rec["message"] = f"{err}: cannot read properties of undefined (reading 'total')"
            rec["stack_trace"] = (
                f"{err}: cannot read properties of undefined\n"
                f"    at Checkout (src/pages/Checkout.tsx:{self.r.randint(10, 200)}:15)"
            )
        else:
            rec["message"] = f"{rec['action_type']} on {page}"
        return rec

    def sessions(self) -> list[Record]:
        v = self.v
        out: list[Record] = []
        for _session in range(120):
            start = self.ts_back(6 * 86400)
            user = self.r.choice(self.users)
            sid = f"sess_{self.r.getrandbits(48):012x}"
            for step, page in enumerate(v["pages"][: self.r.randint(2, len(v["pages"]))]):
                at = start + dt.timedelta(seconds=step * self.r.uniform(5, 90))
                if at > self.now:
                    break
                rec = self.frontend(at)
                rec.update(
                    user_id=user,
                    session_id=sid,
                    path=page,
                    action_type="navigate",
                    level="INFO",
                    error_type=None,
                    stack_trace=None,
                    message=f"navigate to {page}",
                )
                out.append(rec)
        return out

    def oddities(self, recs: list[Record]) -> list[Record]:
        out: list[Record] = []
        for rec in self.r.sample(recs, min(300, len(recs))):  # logs without trace_id
            rec["trace_id"] = None
        for rec in self.r.sample(recs, min(40, len(recs))):  # exact duplicates
            out.append(dict(rec, metadata=dict(rec["metadata"])))
        for _ in range(25):  # oversized messages
            at = self.ts_back(5 * 86400)
            rec = self.backend(at, self.r.choice(self.v["worker_services"]), "INFO")
            rec["message"] = "payload dump: " + ("x" * self.r.randint(20000, 60000))
            out.append(rec)
        return out

    def all(self, count: int) -> list[Record]:
        recs: list[Record] = []
        n_front = count // 5
        for _ in range(count - n_front):
            recs.append(self.backend(self.ts_back(7 * 86400)))
        for _ in range(n_front):
            recs.append(self.frontend(self.ts_back(7 * 86400)))
        recs += self.incident() + self.auth_failures() + self.injection_attempts() + self.sessions()
        recs += self.oddities(recs)
        recs.sort(key=lambda r: r["created_at"])
        return recs


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--count", type=int, default=20000, help="background records (planted scenarios come on top)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--now", help="ISO-8601 end of the time span (default: the current time, UTC)")
    ap.add_argument("--vocab", help="JSON file replacing the default vocabulary")
    a = ap.parse_args()
    now = dt.datetime.fromisoformat(a.now) if a.now else dt.datetime.now(dt.UTC)
    if now.tzinfo is None:
        now = now.replace(tzinfo=dt.UTC)
    vocab = dict(DEFAULT_VOCAB)
    if a.vocab:
        with open(a.vocab) as f:
            vocab.update(json.load(f))
    out = sys.stdout
    for rec in Gen(vocab, a.seed, now).all(a.count):
        out.write(json.dumps(rec, ensure_ascii=False, separators=(",", ":")) + "\n")


if __name__ == "__main__":
    main()
