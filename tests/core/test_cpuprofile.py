import time

from regionhub.core.cpuprofile import cpu_profile


def _busy(seconds: float) -> None:
    until = time.process_time() + seconds
    while time.process_time() < until:
        sum(range(200))


def _asleep(seconds: float) -> None:
    time.sleep(seconds)


def _work() -> None:
    _busy(0.3)
    _asleep(0.3)
    _busy(0.1)


def test_cpu_profile_samples_cpu_time_not_waiting():
    found = cpu_profile(_work)
    shares = {name.split(" ")[0]: share for share, name in found.top(10)}
    assert found.samples >= 20
    assert found.cpu_s < 0.6  # the sleep is not CPU time
    # The busy stretches are all of the work's CPU, the sleep none of it.
    assert 0.85 <= shares["_busy"] <= 1.0
    assert shares.get("_asleep", 0.0) <= 0.05
    assert shares["_work"] == 1.0
    # Only the work's own stack is counted, not who called the profiler.
    assert not any("test_cpu_profile" in name for name in found.inclusive)
