"""The ambition chart as SVG geometry, drawn by the template; the same numbers go in a table."""

import datetime
from dataclasses import dataclass, field

from .selectors import Point

WIDTH, HEIGHT = 720, 280
LEFT, RIGHT, TOP, BOTTOM = 44, 16, 16, 36


@dataclass
class Tick:
    position: float
    label: str


@dataclass
class Chart:
    width: int = WIDTH
    height: int = HEIGHT
    good: str = ""
    good_everywhere: str = ""
    target_y: float | None = None
    x_ticks: list[Tick] = field(default_factory=list)
    y_ticks: list[Tick] = field(default_factory=list)
    plot_left: int = LEFT
    plot_right: int = WIDTH - RIGHT
    plot_bottom: int = HEIGHT - BOTTOM


def _steps(points: list[tuple[float, float]]) -> str:
    """A step line: the count holds until the next point, as it does between publications."""
    path = []
    for n, (x, y) in enumerate(points):
        if n:
            path.append(f"{x:.1f},{points[n - 1][1]:.1f}")
        path.append(f"{x:.1f},{y:.1f}")
    return " ".join(path)


def build_chart(points: list[Point], total: int, wanted: int | None) -> Chart | None:
    if len(points) < 2 or total == 0:
        return None
    first, last = points[0].date.toordinal(), points[-1].date.toordinal()
    span = max(last - first, 1)
    top = max(total, wanted or 0)

    def x(date: datetime.date) -> float:
        return LEFT + (WIDTH - LEFT - RIGHT) * (date.toordinal() - first) / span

    def y(value: float) -> float:
        return HEIGHT - BOTTOM - (HEIGHT - TOP - BOTTOM) * value / top

    chart = Chart(
        good=_steps([(x(p.date), y(p.good)) for p in points]),
        good_everywhere=_steps([(x(p.date), y(p.good_everywhere)) for p in points]),
        target_y=y(wanted) if wanted else None,
    )
    step = max(1, round(top / 5))
    chart.y_ticks = [Tick(y(v), str(v)) for v in range(0, top + 1, step)]
    years = list(range(points[0].date.year + 1, points[-1].date.year + 1))
    every = max(1, -(-len(years) // 8))
    chart.x_ticks = [Tick(x(datetime.date(year, 1, 1)), str(year)) for year in years[::every]]
    return chart
