"""A real SMTP server for the sending tests (aiosmtpd), in this process or in its own.

It counts each accepted message per recipient and refuses some addresses on purpose: a local
part containing "bounce" gets 550 at RCPT, "later" gets 451 at RCPT, "reject" gets 554 after
DATA. As its own process (`python -m tests.mailing.smtp_sink --port N --log FILE`) it appends
one line per recipient of each accepted message to FILE, so a test can count what arrived even
after killing the sender.
"""

import argparse
import asyncio
import os
import signal
import socket
import subprocess
import sys
import threading
from collections import Counter
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RecordingHandler:
    def __init__(self, log: Path | None = None, delay: float = 0.0):
        self.log = log
        self.delay = delay
        self.received: Counter = Counter()
        self.messages: list[bytes] = []
        self.connections = 0
        self.lock = threading.Lock()
        self._file = open(log, "a", buffering=1) if log else None  # noqa: SIM115

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname
        with self.lock:
            self.connections += 1
        return responses

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        local = address.partition("@")[0]
        if "bounce" in local:
            return "550 5.1.1 No such mailbox here"
        if "later" in local:
            return "451 4.3.0 Mailbox busy, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if any("reject" in r.partition("@")[0] for r in envelope.rcpt_tos):
            return "554 5.6.0 Message refused"
        if self.delay:
            await asyncio.sleep(self.delay)
        with self.lock:
            for rcpt in envelope.rcpt_tos:
                self.received[rcpt] += 1
                if self._file:
                    self._file.write(rcpt + "\n")
            self.messages.append(envelope.content)
        return "250 Message accepted"

    def close(self):
        if self._file:
            self._file.close()


class Sink:
    """An SMTP server on 127.0.0.1 in a thread of this process, for the life of a test."""

    def __init__(self, **handler_options):
        self.handler = RecordingHandler(**handler_options)
        self.port = free_port()
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)

    def __enter__(self) -> "Sink":
        self.controller.start()
        return self

    def __exit__(self, *exc):
        self.controller.stop()
        self.handler.close()

    @property
    def received(self) -> Counter:
        return self.handler.received


def received_from_log(log: Path) -> Counter:
    if not log.exists():
        return Counter()
    return Counter(line for line in log.read_text().splitlines() if line)


class SinkProcess:
    """The same server in a process of its own (it must outlive the workers a test kills)."""

    def __init__(self, log: Path, *, delay: float = 0.0):
        self.log = log
        self.port = free_port()
        self.process = None
        self.delay = delay

    def __enter__(self) -> "SinkProcess":
        root = Path(__file__).resolve().parents[2]
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.mailing.smtp_sink",
                "--port",
                str(self.port),
                "--log",
                str(self.log),
                "--delay",
                str(self.delay),
            ],
            cwd=root,
            stdout=subprocess.PIPE,
            text=True,
        )
        line = self.process.stdout.readline()
        if not line.startswith("ready"):
            self.process.kill()
            raise RuntimeError(f"the SMTP sink did not start: {line!r}")
        return self

    def __exit__(self, *exc):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)

    @property
    def received(self) -> Counter:
        return received_from_log(self.log)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--log", type=Path, required=True)
    parser.add_argument("--delay", type=float, default=0.0)
    args = parser.parse_args()
    handler = RecordingHandler(log=args.log, delay=args.delay)
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    server = loop.run_until_complete(
        loop.create_server(lambda: SMTP(handler), host="127.0.0.1", port=args.port)
    )
    loop.add_signal_handler(signal.SIGTERM, loop.stop)
    print("ready", os.getpid(), flush=True)
    try:
        loop.run_forever()
    finally:
        server.close()
        handler.close()


if __name__ == "__main__":
    main()
