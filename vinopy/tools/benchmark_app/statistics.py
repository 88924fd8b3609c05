"""Latency statistics, per-layer counters and the CSV/JSON reports benchmark_app writes."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass
class Latency:
    """Latency statistics in milliseconds."""

    percentile: float
    average: float
    minimum: float
    maximum: float

    @classmethod
    def of(cls, samples_ms: list[float], percentile: int) -> Latency:
        data = np.asarray(samples_ms, dtype=np.float64)
        if data.size == 0:
            return cls(0.0, 0.0, 0.0, 0.0)
        return cls(
            float(np.percentile(data, percentile)), float(data.mean()), float(data.min()), float(data.max())
        )


def format_time(ms: float) -> str:
    """OpenVINO prints latencies in ms, or in us when they are under a millisecond."""
    return f"{ms * 1000:.2f} us" if ms < 1 else f"{ms:.2f} ms"


def latency_lines(latency: Latency, percentile: int) -> list[str]:
    label = "Median" if percentile == 50 else f"{percentile} percentile"
    return [
        "Latency:",
        f"   {label + ':':<15}{format_time(latency.percentile)}",
        f"   {'Average:':<15}{format_time(latency.average)}",
        f"   {'Min:':<15}{format_time(latency.minimum)}",
        f"   {'Max:':<15}{format_time(latency.maximum)}",
    ]


@dataclass
class Counter:
    """One layer's profiling row, averaged over runs."""

    name: str
    status: str
    layer_type: str
    exec_type: str
    real_ms: float
    cpu_ms: float


def average_counters(runs: list[list[Any]]) -> list[Counter]:
    """Per-layer counters averaged over several infer requests' profiling infos."""
    if not runs or not runs[0]:
        return []
    rows = []
    for k, info in enumerate(runs[0]):
        real = np.mean([r[k].real_time.total_seconds() * 1e3 for r in runs if k < len(r)])
        cpu = np.mean([r[k].cpu_time.total_seconds() * 1e3 for r in runs if k < len(r)])
        status = getattr(info.status, "name", str(info.status))
        rows.append(
            Counter(
                info.node_name, f"Status.{status}", info.node_type, info.exec_type, float(real), float(cpu)
            )
        )
    return rows


def sort_counters(rows: list[Counter], mode: str | None) -> list[Counter]:
    if mode in ("sort", "simple_sort"):
        rows = sorted(rows, key=lambda r: r.real_ms, reverse=True)
    if mode == "simple_sort":
        rows = [r for r in rows if r.status.endswith("EXECUTED")]
    return rows


def counter_table(rows: list[Counter]) -> list[str]:
    lines = [
        f"{r.name[:20]:<20} {r.status:<20} layerType: {r.layer_type:<18} execType: {r.exec_type:<18} "
        f"realTime (ms): {r.real_ms:<10.3f} cpuTime (ms): {r.cpu_ms:<10.3f}"
        for r in rows
    ]
    total = sum(r.real_ms for r in rows)
    total_cpu = sum(r.cpu_ms for r in rows)
    lines += [f"Total time:     {total:.3f} milliseconds", f"Total CPU time: {total_cpu:.3f} milliseconds"]
    return lines


class Report:
    """The statistics report: command-line parameters, configuration and execution results."""

    def __init__(self, folder: str, as_json: bool) -> None:
        self.folder = folder
        self.as_json = as_json
        self.sections: dict[str, list[tuple[str, Any]]] = {
            "Command line parameters": [],
            "Configuration setup": [],
            "Execution results": [],
        }

    def add(self, section: str, items: list[tuple[str, Any]]) -> None:
        self.sections[section].extend(items)

    def _path(self, name: str) -> str:
        os.makedirs(self.folder, exist_ok=True)
        return os.path.join(self.folder, name + (".json" if self.as_json else ".csv"))

    def write(self) -> str:
        path = self._path("benchmark_report")
        with open(path, "w") as f:
            if self.as_json:
                json.dump({k: dict(v) for k, v in self.sections.items()}, f, indent=2, default=str)
            else:
                for section, items in self.sections.items():
                    f.write(section + "\n")
                    f.writelines(f"{k};{v}\n" for k, v in items)
                    f.write("\n")
        return path

    def write_counters(self, kind: str, tables: list[list[Counter]]) -> str:
        path = self._path(f"benchmark_{kind}_report")
        with open(path, "w") as f:
            if self.as_json:
                json.dump([[r.__dict__ for r in rows] for rows in tables], f, indent=2)
                return path
            for rows in tables:
                f.write("layerName;execStatus;layerType;execType;realTime (ms);cpuTime (ms)\n")
                for r in rows:
                    f.write(
                        f"{r.name};{r.status};{r.layer_type};{r.exec_type};{r.real_ms:.3f};{r.cpu_ms:.3f}\n"
                    )
                total = sum(r.real_ms for r in rows)
                total_cpu = sum(r.cpu_ms for r in rows)
                f.write(f"Total;;;;{total:.3f};{total_cpu:.3f}\n\n")
        return path
