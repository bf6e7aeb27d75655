"""Generate realistic, telegraf-like line protocol for the ingest and query benchmarks.

Owns only the synthetic data: measurements cpu, mem, disk and net from many hosts every
10 s, with float, integer and string fields, a deterministic seed, and a small share of
lines that need the careful path of a parser (escaped spaces in tag values, string fields
with spaces and commas), as real telegraf output has. It must not import flux2sql.

    python bench/generate.py --points 1000000 --out bench/data/x.lp
"""
from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

INTERVAL_NS = 10_000_000_000
START_NS = 1_700_000_000_000_000_000  # 2023-11-14T22:13:20Z
CPUS = ("cpu-total", "cpu0", "cpu1", "cpu2", "cpu3")
DISKS = (("sda1", "ext4", "/"), ("sdb1", "xfs", "/var/lib/data"), ("sdc1", "ext4", "/mnt/my\\ backups"))
INTERFACES = ("eth0", "eth1", "lo")


def _cpu(rng: random.Random, host: str, cpu: str, t: int) -> str:
    user = rng.uniform(0, 60)
    system = rng.uniform(0, 20)
    iowait = rng.uniform(0, 5)
    idle = max(0.0, 100.0 - user - system - iowait)
    return (
        f"cpu,cpu={cpu},host={host} usage_user={user:.6f},usage_system={system:.6f},"
        f"usage_idle={idle:.6f},usage_iowait={iowait:.6f},usage_irq=0,usage_softirq={rng.uniform(0, 1):.4f},"
        f"usage_steal=0,usage_guest=0,usage_nice={rng.uniform(0, 2):.4f} {t}"
    )


def _mem(rng: random.Random, host: str, t: int) -> str:
    total = 17_179_869_184
    used = rng.randrange(2_000_000_000, 15_000_000_000)
    cached = rng.randrange(100_000_000, 2_000_000_000)
    return (
        f"mem,host={host} total={total}i,used={used}i,free={total - used}i,cached={cached}i,"
        f"available={total - used + cached}i,used_percent={100 * used / total:.6f},"
        f"available_percent={100 * (total - used + cached) / total:.6f} {t}"
    )


def _disk(rng: random.Random, host: str, disk: tuple[str, str, str], t: int) -> str:
    device, fstype, path = disk
    total = 500_107_862_016
    used = rng.randrange(10_000_000_000, 400_000_000_000)
    # About 1 in 200 disks reports a status with spaces and a comma, like telegraf's
    # free-text fields; the rest say "ok".
    status = '"ok"' if rng.random() > 0.005 else '"degraded, check \\"smart\\" log"'
    return (
        f"disk,device={device},fstype={fstype},host={host},mode=rw,path={path} "
        f"total={total}i,used={used}i,free={total - used}i,used_percent={100 * used / total:.6f},"
        f"inodes_total=30531584i,inodes_used={rng.randrange(100_000, 3_000_000)}i,status={status} {t}"
    )


def _net(rng: random.Random, host: str, iface: str, t: int, counters: dict) -> str:
    key = (host, iface)
    sent, recv = counters.get(key, (0, 0))
    sent += rng.randrange(0, 5_000_000)
    recv += rng.randrange(0, 9_000_000)
    counters[key] = (sent, recv)
    return (
        f"net,host={host},interface={iface} bytes_sent={sent}u,bytes_recv={recv}u,"
        f"packets_sent={sent // 900}u,packets_recv={recv // 1100}u,err_in=0i,err_out=0i,"
        f"drop_in={rng.randrange(0, 3)}i,drop_out=0i,up=true {t}"
    )


def generate(points: int, hosts: int, seed: int):
    """Yield `points` lines, interval after interval, host after host."""
    rng = random.Random(seed)
    counters: dict = {}
    names = [f"host-{i:04d}" for i in range(hosts)]
    produced = 0
    t = START_NS
    while True:
        for host in names:
            lines = [_cpu(rng, host, cpu, t) for cpu in CPUS]
            lines.append(_mem(rng, host, t))
            lines += [_disk(rng, host, disk, t) for disk in DISKS]
            lines += [_net(rng, host, iface, t, counters) for iface in INTERFACES]
            for line in lines:
                yield line
                produced += 1
                if produced >= points:
                    return
        t += INTERVAL_NS


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=1_000_000, help="number of lines")
    parser.add_argument("--hosts", type=int, default=100)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--out", default="-", help="output file ('-' for standard output)")
    args = parser.parse_args(argv)
    out = sys.stdout if args.out == "-" else None
    if out is None:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        out = open(args.out, "w", encoding="utf-8", newline="\n")
    try:
        batch = []
        for line in generate(args.points, args.hosts, args.seed):
            batch.append(line)
            if len(batch) >= 10_000:
                out.write("\n".join(batch) + "\n")
                batch.clear()
        if batch:
            out.write("\n".join(batch) + "\n")
    finally:
        if out is not sys.stdout:
            out.close()


if __name__ == "__main__":
    main()
