"""Where CPU time goes: a sampling profiler for the benchmarks' "why is this slower" question.

`cpu_profile(work)` runs `work()` with a timer that counts the process's CPU time (Unix
`ITIMER_PROF`): every `interval` seconds of CPU it notes the stack being run. Time spent waiting
for the database or the network is not CPU time, so it is never sampled, unlike with a profiler
that samples the clock on the wall; and nothing is traced, so the code runs at its usual speed
and the shares are those of an unprofiled run. Only the main thread is sampled: run the work
there, one request after another.
"""

import signal
import sys
import time
from collections import Counter
from dataclasses import dataclass, field


@dataclass
class CpuProfile:
    samples: int = 0
    cpu_s: float = 0.0
    # Samples in which each function was on the stack (counted once per sample)...
    inclusive: Counter = field(default_factory=Counter)
    # ...and in which it was the one running.
    own: Counter = field(default_factory=Counter)

    def top(self, n: int = 40, *, own: bool = False) -> list[tuple[float, str]]:
        """The `n` functions with the largest share of the samples, as (share, name)."""
        counts = self.own if own else self.inclusive
        return [(count / self.samples, name) for name, count in counts.most_common(n)]


def _name(code) -> str:
    path = code.co_filename
    for root in ("site-packages/", "/regionhub/"):
        if root in path:
            path = path.split(root, 1)[1]
            if root == "/regionhub/":
                path = "regionhub/" + path
            break
    return f"{code.co_name} ({path}:{code.co_firstlineno})"


def cpu_profile(work, *, interval: float = 0.001) -> CpuProfile:
    """Sample `work()` every `interval` seconds of CPU (the kernel may sample less often: at
    most once per clock tick, so profile long enough to gather a few thousand samples)."""
    profile = CpuProfile()
    here = sys._getframe()

    def sample(signum, frame) -> None:
        profile.samples += 1
        seen = set()
        running = True
        # The stack from `work` inwards: what called this function is the same in every sample.
        while frame is not None and frame is not here:
            name = _name(frame.f_code)
            if running:
                profile.own[name] += 1
                running = False
            if name not in seen:
                seen.add(name)
                profile.inclusive[name] += 1
            frame = frame.f_back

    previous = signal.signal(signal.SIGPROF, sample)
    started = time.process_time()
    signal.setitimer(signal.ITIMER_PROF, interval, interval)
    try:
        work()
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0, 0)
        signal.signal(signal.SIGPROF, previous)
    profile.cpu_s = time.process_time() - started
    return profile
