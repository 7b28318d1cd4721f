"""A province on Dask: counties per minute with 1 and 2 worker processes, and memory per worker.

    python benchmarks/province.py [--counties 24]

Generates the scale-test province (:func:`planning.province.make_demo_province`: the demo
township moved and re-seeded, every third county on a square of the real Liechtenstein
road network) and runs it with :func:`planning.province.run` on a local cluster of 1 and
then 2 workers (one thread each), each time into a fresh folder. Prints the wall-clock
time of each run (cluster start included), counties per minute, the speed-up from 1 to 2
workers, each worker's peak resident memory (the process's high-water mark) and the CPU
time the workers spent per county (what a free core would take, whatever the load). Needs
../shared/data. The speed-up is bounded by the machine's free cores: compare with
``os.cpu_count()`` and the load average printed first.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import planning  # noqa: E402
from planning import province  # noqa: E402

PBF = ROOT.parent / "shared" / "data" / "osm" / "liechtenstein" / "liechtenstein-2015.osm.pbf"


def peak_rss_mb() -> float:
    """This process's peak resident memory (MB; Linux reports kilobytes)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def cpu_seconds() -> float:
    """CPU time this process has used (user and system, seconds)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def timed_run(manifest: Path, out: Path, workers: int) -> tuple[float, list[float], float, int]:
    """Seconds of a whole run on ``workers`` local workers, their peak memory (MB), the CPU
    seconds they used, counties done."""
    from distributed import Client, LocalCluster

    start = time.perf_counter()
    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0") as cluster, \
            Client(cluster) as client:
        table = province.run(manifest, client=client, out=out, progress=False)
        memory = sorted(client.run(peak_rss_mb).values())
        cpu = sum(client.run(cpu_seconds).values())
    return time.perf_counter() - start, memory, cpu, int((table["status"] == "done").sum())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--counties", type=int, default=24)
    args = parser.parse_args()
    if not PBF.exists():
        raise SystemExit(f"needs {PBF} (../shared/data beside the repository)")
    planning.settings.use_cache = False  # every run routes its counties itself
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        manifest = province.make_demo_province(folder / "province", counties=args.counties, osm=PBF)
        print(f"{args.counties} counties (every third on real Liechtenstein roads); {os.cpu_count()} cores, "
              f"load average {os.getloadavg()[0]:.1f}\n")
        rates = {}
        for workers in (1, 2):
            seconds, memory, cpu, done = timed_run(manifest, folder / f"out{workers}", workers)
            rates[workers] = done / seconds * 60
            print(f"{workers} worker{'s' if workers > 1 else ' '}  {seconds:6.1f} s  {rates[workers]:6.1f} counties/min  "
                  f"peak memory per worker: {', '.join(f'{m:.0f} MB' for m in memory)}  "
                  f"CPU {cpu / max(done, 1):.2f} s per county in the workers  ({done} done)")
        print(f"\nspeed-up from 1 to 2 workers: {rates[2] / rates[1]:.2f}×")


if __name__ == "__main__":
    main()
