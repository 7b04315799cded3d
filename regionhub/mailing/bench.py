"""The mailing benchmark's parts, and the Regional Update archive pages `make bench` measures.

Suite (`manage.py bench`): `generate_commands` makes 100,000 subscribers on one list
(`generate_subscribers`), 120 published issues with 10,000 comments (`generate_archive`) and the
bench accounts; `targets` names the archive and the most commented issue's page, read
anonymously and signed in, p95 goal 50 ms.

Sending throughput is not a page: `manage.py bench_mailing` measures it with the two helpers
here, each run as `python -m regionhub.mailing.bench ...` in processes of their own (no Django):

- `sink`: a minimal SMTP server that accepts every message and throws it away, counting them.
  Several share one port (SO_REUSEPORT) so that it is never what limits the run.
- `floor`: plain `smtplib` sending one pre-rendered message again and again over one
  connection, the simplest way of doing the same work, measured in the same run.
"""

import argparse
import asyncio
import json
import signal
import smtplib
import sys
import time

MEMBER_EMAIL = "bench.member@regionhub.example"
P95_GOAL_MS = 50.0


def generate_commands(options: dict | None = None) -> list[list[str]]:
    return [["generate_subscribers"], ["generate_archive"], ["bench_users"]]


def targets() -> list[dict]:
    from django.db.models import Count, Q
    from django.urls import reverse

    from regionhub.newsletter.models import Comment, Issue

    pages = [("updates-archive", reverse("newsletter:archive"))]
    busiest = (
        Issue.objects.published()
        .annotate(n=Count("comments", filter=Q(comments__status=Comment.Status.APPROVED)))
        .order_by("-n", "-month")
        .first()
    )
    if busiest is not None:
        pages.append(("updates-issue-page", busiest.get_absolute_url()))
    result = []
    for name, path in pages:
        for suffix, user in (("", None), (" signed-in", MEMBER_EMAIL)):
            result.append(
                {
                    "name": name + suffix,
                    "path": path,
                    "user": user,
                    "p95_goal_ms": P95_GOAL_MS,
                    "throughput_goal_ratio": None,
                }
            )
    return result


# The sink --------------------------------------------------------------------------------------


class SinkProtocol(asyncio.Protocol):
    """Just enough SMTP to take a message: every command is answered 250 (354 for DATA), the
    message is read up to the line holding a single dot and dropped. Commands may come several
    at a time (it offers PIPELINING, as real mail servers do); they are answered in order."""

    END = b"\r\n.\r\n"

    def __init__(self, counter: list[int]):
        self.counter = counter
        self.buffer = b""
        self.in_data = False
        self.transport = None

    def connection_made(self, transport):
        self.transport = transport
        transport.write(b"220 bench sink ESMTP\r\n")

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while self.buffer:
            if self.in_data:
                end = self.buffer.find(self.END)
                if end < 0:
                    # Keep only what could be the start of the end marker.
                    self.buffer = self.buffer[-(len(self.END) - 1) :]
                    return
                self.buffer = self.buffer[end + len(self.END) :]
                self.in_data = False
                self.counter[0] += 1
                self.transport.write(b"250 accepted\r\n")
                continue
            end = self.buffer.find(b"\r\n")
            if end < 0:
                return
            command = self.buffer[:4].upper()
            self.buffer = self.buffer[end + 2 :]
            if command == b"EHLO":
                self.transport.write(b"250-bench sink\r\n250-PIPELINING\r\n250 8BITMIME\r\n")
            elif command == b"DATA":
                self.in_data = True
                # The end marker's leading CRLF may be the one that ended the DATA line.
                self.buffer = b"\r\n" + self.buffer
                self.transport.write(b"354 go ahead\r\n")
            elif command == b"QUIT":
                self.transport.write(b"221 bye\r\n")
                self.transport.close()
                return
            else:
                self.transport.write(b"250 ok\r\n")


def run_sink(port: int) -> None:
    counter = [0]
    loop = asyncio.new_event_loop()
    server = loop.run_until_complete(
        loop.create_server(
            lambda: SinkProtocol(counter), host="127.0.0.1", port=port, reuse_port=True
        )
    )
    loop.add_signal_handler(signal.SIGTERM, loop.stop)
    print("ready", flush=True)
    try:
        loop.run_forever()
    finally:
        server.close()
    print(json.dumps({"accepted": counter[0]}), flush=True)


# The floor -------------------------------------------------------------------------------------


def run_floor(port: int, count: int, message_path: str, start_at: float) -> None:
    """Send `count` copies of the message in `message_path` over one connection, each to its
    own address, starting at the wall-clock time `start_at`; print what was done and the CPU
    time it took (connecting left out)."""
    data = open(message_path, "rb").read()  # noqa: SIM115 - read once, closed at exit
    connection = smtplib.SMTP("127.0.0.1", port)
    connection.ehlo()
    while time.time() < start_at:
        time.sleep(0.001)
    started, cpu = time.time(), time.process_time()
    for n in range(count):
        connection.sendmail("regionhub@localhost", [f"floor-{n}@bench.regionhub.example"], data)
    finished, cpu = time.time(), time.process_time() - cpu
    connection.quit()
    print(
        json.dumps({"sent": count, "started": started, "finished": finished, "cpu_s": cpu}),
        flush=True,
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m regionhub.mailing.bench")
    commands = parser.add_subparsers(dest="command", required=True)
    sink = commands.add_parser("sink")
    sink.add_argument("--port", type=int, required=True)
    floor = commands.add_parser("floor")
    floor.add_argument("--port", type=int, required=True)
    floor.add_argument("--count", type=int, required=True)
    floor.add_argument("--message", required=True)
    floor.add_argument("--start-at", type=float, required=True)
    args = parser.parse_args(argv)
    if args.command == "sink":
        run_sink(args.port)
    else:
        run_floor(args.port, args.count, args.message, args.start_at)


if __name__ == "__main__":
    main(sys.argv[1:])
