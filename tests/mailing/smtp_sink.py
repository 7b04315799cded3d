"""A real SMTP server for the sending tests (aiosmtpd), in this process or in its own.

It offers PIPELINING, as real mail servers do (`pipelining=False` for one that does not). It
counts each accepted message per recipient and refuses some addresses on purpose: a local
part containing "bounce" gets 550 at RCPT, "later" gets 451 at RCPT, "reject" gets 554 after
DATA. As its own process (`python -m tests.mailing.smtp_sink --port N --log FILE`) it appends
one line per recipient of each accepted message to FILE, so a test can count what arrived even
after killing the sender.

To kill a sender at an exact moment of the conversation, a test writes lines "PID COUNT WHEN"
to the file given as `--kill-file`: once COUNT messages have been accepted, the sink sends
SIGKILL to PID either when the next message begins (WHEN = "mail": the sender is waiting for
the answer to MAIL FROM, nothing of that message delivered yet) or the moment it has accepted
a message, before the sender hears so (WHEN = "accepted").
"""

import argparse
import asyncio
import contextlib
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
    def __init__(
        self,
        log: Path | None = None,
        delay: float = 0.0,
        kill_file: Path | None = None,
        pipelining: bool = True,
    ):
        self.log = log
        self.pipelining = pipelining
        self.delay = delay
        self.kill_file = kill_file
        self.killed: set[int] = set()
        self.total = 0
        self.received: Counter = Counter()
        self.messages: list[bytes] = []
        self.connections = 0
        self.lock = threading.Lock()
        self._file = open(log, "a", buffering=1) if log else None  # noqa: SIM115

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname
        with self.lock:
            self.connections += 1
        if self.pipelining:
            # aiosmtpd answers commands sent together in order, but does not say so.
            responses.insert(1, "250-PIPELINING")
        return responses

    def _kill_if_due(self, when: str) -> None:
        if not self.kill_file or not self.kill_file.exists():
            return
        for line in self.kill_file.read_text().splitlines():
            if len(line.split()) != 3:
                continue  # still being written
            pid, count, moment = line.split()
            if moment == when and int(pid) not in self.killed and self.total >= int(count):
                self.killed.add(int(pid))
                with contextlib.suppress(ProcessLookupError):
                    os.kill(int(pid), signal.SIGKILL)

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        self._kill_if_due("mail")
        if self.delay:
            await asyncio.sleep(self.delay)
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

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
        with self.lock:
            self.total += 1
            for rcpt in envelope.rcpt_tos:
                self.received[rcpt] += 1
                if self._file:
                    self._file.write(rcpt + "\n")
            self.messages.append(envelope.content)
        self._kill_if_due("accepted")
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
        self.kill_file = log.with_suffix(".kill")
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
                "--kill-file",
                str(self.kill_file),
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

    def kill_when(self, pid: int, *, accepted: int, moment: str) -> None:
        """SIGKILL `pid` at `moment` ("mail" or "accepted") once `accepted` messages arrived."""
        with open(self.kill_file, "a") as f:
            f.write(f"{pid} {accepted} {moment}\n")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--log", type=Path, required=True)
    parser.add_argument("--delay", type=float, default=0.0)
    parser.add_argument("--kill-file", type=Path, default=None)
    args = parser.parse_args()
    handler = RecordingHandler(log=args.log, delay=args.delay, kill_file=args.kill_file)
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
