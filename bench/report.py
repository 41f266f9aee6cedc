"""The bench's Markdown tables."""

from __future__ import annotations

from collections.abc import Sequence

from bench.e2e import EndToEnd
from bench.engine_rates import Rate
from bench.kustomize_curve import Point
from bench.measure import Series
from bench.peers import Peer


def _s(value: float | None) -> str:
    return f"{value:.2f}" if value is not None else "-"


def _mb(value: float | None) -> str:
    return f"{value:,.0f}" if value else "-"


def e2e_table(rows: Sequence[EndToEnd]) -> str:
    """Warm is a re-run with nothing changed (findings replayed); re-checked is a render cache
    hit with every check run again (what a change to one environment costs it)."""
    lines = [
        "| repository | objects | findings | cold s (cpu) | bare kustomize s (cpu) | cold / bare "
        "| warm best s (cpu) | warm median s | peak RSS MB warm | re-checked best s (cpu) "
        "| findings/s re-checked | peak RSS MB re-checked | note |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for row in rows:
        warm, bare, again = row.warm, row.bare, row.rechecked
        ratio = f"{row.cold.seconds / bare.best:.2f}x" if bare else "-"
        rate = f"{row.findings / again.best:,.0f}" if again and row.findings else "-"
        cold = f"{row.cold.seconds:.1f} ({row.cold.cpu:.1f})"
        bare_text = f"{bare.best:.1f} ({bare.best_cpu:.1f})" if bare else "-"
        lines.append(
            f"| {row.label} | {row.objects:,} | {row.findings or 0:,} | {cold} | {bare_text} "
            f"| {ratio} | {_best(warm)} | {_s(warm.median if warm else None)} "
            f"| {_mb(warm.rss_mb if warm else None)} | {_best(again)} | {rate} "
            f"| {_mb(again.rss_mb if again else None)} | {row.note} |"
        )
    return "\n".join(lines)


def _best(series: Series | None) -> str:
    return f"{series.best:.2f} ({series.best_cpu:.2f})" if series else "-"


def peer_table(found: Sequence[Peer], ours: EndToEnd) -> str:
    assert ours.warm is not None
    again = ours.rechecked
    lines = [
        "| tool | objects | time s (cpu) | peak RSS MB | peer / ours warm | peer / ours re-checked "
        "| note |",
        "|---|---:|---:|---:|---:|---:|---|",
        f"| gitops-validator warm (findings replayed) | {ours.objects:,} | {_best(ours.warm)} "
        f"| {_mb(ours.warm.rss_mb)} | | | profile all, nothing changed |",
        f"| gitops-validator re-checked (every check run) | {ours.objects:,} | {_best(again)} "
        f"| {_mb(again.rss_mb if again else None)} | | | profile all, render cache hit |",
    ]
    for peer in found:
        series = peer.series
        if series is None:
            lines.append(f"| {peer.name} | - | - | - | | | {peer.note} |")
            continue
        over_warm = f"{series.best / ours.warm.best:.1f}x"
        over_again = f"{series.best / again.best:.1f}x" if again else "-"
        lines.append(
            f"| {peer.name} | {ours.objects:,} | {_best(series)} | {_mb(series.rss_mb)} "
            f"| {over_warm} | {over_again} | {peer.note} |"
        )
    return "\n".join(lines)


def rate_table(rates: Sequence[Rate]) -> str:
    lines = ["| what | evaluations | cpu s | per cpu second | note |", "|---|---:|---:|---:|---|"]
    lines.extend(
        f"| {rate.name} | {rate.count:,} | {rate.seconds:.3f} | {rate.per_second:,.0f} "
        f"| {rate.note} |"
        for rate in rates
    )
    return "\n".join(lines)


def startup_table(rows: Sequence[tuple[str, Series]]) -> str:
    lines = [
        "| command (warm) | runs | best s | median s | best cpu s | peak RSS MB |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    lines.extend(
        f"| {name} | {len(series.runs)} | {series.best:.3f} | {series.median:.3f} "
        f"| {series.best_cpu:.3f} | {_mb(series.rss_mb)} |"
        for name, series in rows
    )
    return "\n".join(lines)


def curve_table(points: Sequence[Point]) -> str:
    lines = [
        "| kustomize | objects | bare s (cpu) | µs/object | with origin-annotation wrapper s "
        "| wrapper adds |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for point in points:
        bare, wrapped = point.bare, point.wrapped
        if bare.code != 0:
            lines.append(f"| {point.tool} | {point.objects:,} | failed: {bare.stderr_tail} |||")
            continue
        per_object = bare.cpu / point.objects * 1e6
        wrapped_text = f"{wrapped.seconds:.2f}" if wrapped and wrapped.code == 0 else "-"
        adds = (
            f"{(wrapped.cpu - bare.cpu) / bare.cpu:+.0%} cpu"
            if wrapped and wrapped.code == 0 and bare.cpu
            else "-"
        )
        lines.append(
            f"| {point.tool} | {point.objects:,} | {bare.seconds:.2f} ({bare.cpu:.2f}) "
            f"| {per_object:,.0f} | {wrapped_text} | {adds} |"
        )
    return "\n".join(lines)
