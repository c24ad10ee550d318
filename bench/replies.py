"""`make bench`, reply latency: how soon the answer to an SMS reaches the provider.

A reply leaves through the outbox like every other message: the Twilio webhook records the
text, queues an urgent delivery and answers an empty TwiML response at once; a worker sends
the reply. This measures that whole road with the deployment's own processes (the Procfile's
web, worker and cron command lines), a private Redis, a fresh SQLite database migrated like
production and the fake Twilio in a process of its own: N signed inbound SMS ("帮助", each
from its own phone) are posted to the running web app's webhook at a steady pace, and each
reply's latency is the time from the start of its POST to the fake Twilio receiving it.
Target: 2 s at the 95th percentile.

    python -m bench.replies                       # 200 texts, print the figures
    python -m bench.replies --write docs/performance.md
    python -m bench.replies --texts 20            # a quick check that it all works
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from twilio.request_validator import RequestValidator

from bench.harness import (
    ROOT,
    FakeProvider,
    ProcfileProcesses,
    Redis,
    base_environment,
    migrate,
    write_section,
)
from pwa.launcher import free_port
from tasks.worker import worker_processes

TEXTS = 200
RATE = 20.0  # texts posted per second
CONCURRENCY = 8  # posts in flight at most
TARGET_SECONDS = 2.0
PROCESSES = ["web", "worker", "cron"]
BEGIN = "<!-- bench.replies: begin -->"
END = "<!-- bench.replies: end -->"


def phone(i: int) -> str:
    return f"+86138{i:08d}"


@dataclass
class Result:
    texts: int
    rate: float
    posted: dict[str, float] = field(default_factory=dict)  # phone -> POST started (epoch)
    answered_ms: list[float] = field(default_factory=list)  # the webhook's own answer time
    refused: int = 0  # webhook answers other than 200
    latencies: list[float] = field(default_factory=list)  # seconds, POST -> at the provider
    replies: int = 0
    load: tuple[float, float] = (0.0, 0.0)

    @staticmethod
    def _percentile(values: list[float], share: float) -> float:
        if not values:
            return float("nan")
        ordered = sorted(values)
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))]

    @property
    def p50(self) -> float:
        return statistics.median(self.latencies) if self.latencies else float("nan")

    @property
    def p95(self) -> float:
        return self._percentile(self.latencies, 0.95)

    @property
    def answer_p95_ms(self) -> float:
        return self._percentile(self.answered_ms, 0.95)

    @property
    def correct(self) -> bool:
        return self.refused == 0 and self.replies == self.texts == len(self.latencies)

    @property
    def meets_target(self) -> bool:
        return self.correct and self.p95 < TARGET_SECONDS

    def summary(self) -> dict[str, Any]:
        return {
            "texts": self.texts,
            "rate_per_second": self.rate,
            "replies": self.replies,
            "refused": self.refused,
            "p50_seconds": round(self.p50, 3),
            "p95_seconds": round(self.p95, 3),
            "max_seconds": round(max(self.latencies), 3) if self.latencies else None,
            "webhook_answer_p95_ms": round(self.answer_p95_ms, 1),
        }


def _wait_for_web(url: str, procs: ProcfileProcesses, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:
                if answer.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        web = procs.procs["web"]
        if web.poll() is not None:
            raise RuntimeError(f"web exited:\n{procs.log('web')}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"web did not answer at {url}:\n{procs.log('web')}")
        time.sleep(0.2)


def _post_text(webhook: str, token: str, sender: str, n: int) -> tuple[float, int]:
    """Post one signed inbound SMS as Twilio does; return (ms to the answer, its status)."""
    sid = f"SM{n:032x}"
    params = {
        "MessageSid": sid,
        "SmsSid": sid,
        "SmsMessageSid": sid,
        "AccountSid": "AC" + "0" * 32,
        "From": sender,
        "To": "+15005550006",
        "Body": "帮助",
        "NumMedia": "0",
        "NumSegments": "1",
        "SmsStatus": "received",
        "ApiVersion": "2010-04-01",
    }
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Twilio-Signature": RequestValidator(token).compute_signature(webhook, params),
    }
    request = urllib.request.Request(
        webhook, data=urlencode(params).encode(), headers=headers, method="POST"
    )
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            answer.read()
            status = answer.status
    except urllib.error.HTTPError as error:
        status = error.code
    return (time.perf_counter() - started) * 1000, status


def measure(texts: int, rate: float, workdir: Path) -> Result:
    """Start everything, post the texts, wait for the replies at the provider; stop it all."""
    redis = Redis(workdir / "redis")
    fake = FakeProvider(workdir / "fake")
    procs: ProcfileProcesses | None = None
    result = Result(texts, rate)
    report = None
    try:
        redis.start()
        fake.start()
        port = free_port()
        public = f"http://127.0.0.1:{port}"
        env = base_environment(f"sqlite:///{workdir / 'replies.sqlite3'}", redis.url)
        env.update(fake.environment())
        env.update(PORT=str(port), BIND="127.0.0.1", PUBLIC_BASE_URL=public)
        migrate(env)
        procs = ProcfileProcesses(PROCESSES, env, workdir / "logs")
        procs.start()
        _wait_for_web(f"{public}/healthz", procs)
        os.environ.update(env)  # as the deployment's processes see it (WORKER_PROCESSES)
        procs.wait_for_workers(redis.url, count=worker_processes())
        webhook = f"{public}/webhooks/twilio/sms"
        token = env["TWILIO_AUTH_TOKEN"]
        lock = threading.Lock()
        load = os.getloadavg()[0]

        def post(n: int) -> None:
            sender = phone(n)
            with lock:
                result.posted[sender] = time.time()
            ms, status = _post_text(webhook, token, sender, n)
            with lock:
                result.answered_ms.append(ms)
                if status != 200:
                    result.refused += 1

        began = time.monotonic()
        with ThreadPoolExecutor(CONCURRENCY) as pool:
            for n in range(texts):
                delay = began + n / rate - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                pool.submit(post, n)
        # Let the last replies arrive: the report is written when the fake stops.
        time.sleep(max(5.0, 3 * TARGET_SECONDS))
        result.load = (load, os.getloadavg()[0])
    finally:
        if procs is not None:
            procs.stop()
        if fake.proc is not None:
            report = fake.stop()
        redis.stop()
    assert report is not None
    arrived: dict[str, float] = {}
    for to, at in report.messages:
        arrived.setdefault(to, at)
    result.replies = len(report.messages)
    result.latencies = [
        arrived[sender] - posted for sender, posted in result.posted.items() if sender in arrived
    ]
    return result


def markdown(result: Result, elapsed: float) -> str:
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    verdict = "meets" if result.meets_target else "misses"
    load = f"{result.load[0]:.1f} at the start, {result.load[1]:.1f} at the end"
    return f"""{BEGIN}
## Reply latency (issue 9)

Written by `python -m bench.replies --write docs/performance.md` (part of `make bench`) on
{stamp}; the run took {elapsed:.0f} s.

A reply to an SMS is a delivery in the outbox like every other message: the webhook records
the text and queues an urgent delivery, answers an empty TwiML response at once, and a
worker sends the reply. Measured with the Procfile's web, worker and cron processes, a
private Redis, a fresh SQLite (WAL) database and the fake Twilio in a process of its own:
{result.texts} signed inbound SMS ("帮助", each from its own phone) posted to the web app's
`/webhooks/twilio/sms` at {result.rate:g} a second; a reply's latency runs from the start of
its POST to the fake Twilio receiving it. Target: under {TARGET_SECONDS:g} s at the 95th
percentile ({verdict} it). Load average: {load} (2 cores, shared).

| texts | replies at the provider | p50 | p95 | max | webhook answer p95 |
|---|---|---|---|---|---|
| {result.texts} | {result.replies} | {result.p50:.2f} s | {result.p95:.2f} s | \
{max(result.latencies or [float("nan")]):.2f} s | {result.answer_p95_ms:.0f} ms |

Run it again: `make bench`, or `.venv/bin/python -m bench.replies` (this part; `--texts 20`
for a quick check). It exits with status 2 when p95 misses the target (at 200 texts or more).
{END}
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.replies", description=__doc__)
    parser.add_argument("--texts", type=int, default=TEXTS, help=f"texts to post ({TEXTS})")
    parser.add_argument("--rate", type=float, default=RATE, help=f"texts a second ({RATE:g})")
    parser.add_argument("--write", type=Path, help="write this part's section here (Markdown)")
    parser.add_argument("--json", type=Path, help="write the figures here (JSON)")
    parser.add_argument("--keep", action="store_true", help="keep the work directory (logs)")
    args = parser.parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="linli-bench-replies-"))
    began = time.monotonic()
    try:
        print(f"posting {args.texts} texts at {args.rate:g}/s ...", flush=True)
        result = measure(args.texts, args.rate, workdir)
    finally:
        if args.keep:
            print(f"work directory kept: {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    elapsed = time.monotonic() - began
    section = markdown(result, elapsed)
    print()
    print(section)
    if args.write:
        write_section(args.write, section, BEGIN, END)
        print(f"written to {args.write}")
    if args.json:
        args.json.write_text(json.dumps(result.summary(), indent=2))
    if not result.correct:
        print("FAILED: a text was refused, or a reply is missing or came twice.")
        return 1
    if args.texts >= TEXTS and not result.meets_target:
        print("BELOW TARGET: p95 is over 2 s.")
        return 2
    return 0


if __name__ == "__main__":
    os.chdir(ROOT)
    sys.exit(main())
