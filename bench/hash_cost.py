"""What one Argon2id hash costs on this machine, for a few parameter sets.

Run:    .venv/bin/python bench/hash_cost.py [--seconds 2] [--set MEMORY_KIB,TIME_COST,PARALLELISM ...]

Prints, for each set (memory in KiB, time cost t, lanes p): CPU milliseconds per hash (all threads,
from time.process_time), wall milliseconds per hash, hashes per second per core (1 / CPU seconds),
the headroom over the target of 15 sign-ins per second per vCPU (hashes/s/core / 15), and the cost
relative to the first set (the steadiest figure on a noisy machine). A sign-in costs one hash plus
the rest of the request (bench/signin.py measures that rest), so pick a set with clear headroom.
Verifying a password costs the same as hashing it: it recomputes the hash.

Sets below OWASP's minimum for Argon2id (19 MiB, t=2, p=1) are refused; so is t < 2, which
the portal does not allow. Figures are from one run on one machine: compare them with each other.
"""

import argparse
import os
import secrets
import time

from argon2.low_level import Type, hash_secret

DEFAULT_SETS = [
    (19456, 2, 1),  # OWASP's minimum
    (19456, 4, 1),  # the portal's default
    (32768, 2, 1),
    (47104, 2, 1),
    (65536, 2, 1),
    (102400, 2, 8),  # Django's own Argon2 default
]
TARGET_PER_CORE = 15
PASSWORD = b"correct horse battery staple"


def parameter_set(text):
    memory_kib, time_cost, parallelism = (int(part) for part in text.split(","))
    if memory_kib < 19456 or time_cost < 2 or parallelism < 1:
        raise argparse.ArgumentTypeError("below the floor: memory >= 19456 KiB, t >= 2, p >= 1")
    return memory_kib, time_cost, parallelism


def cost_of_one_hash(memory_kib, time_cost, parallelism, seconds):
    """(CPU seconds, wall seconds) per hash, averaged over as many hashes as fit in `seconds`."""

    def one():
        hash_secret(PASSWORD, secrets.token_bytes(16), time_cost, memory_kib, parallelism, 32, Type.ID)

    one()  # warm up: the first allocation of the memory is slower
    count, cpu_start, wall_start = 0, time.process_time(), time.perf_counter()
    while count < 3 or time.perf_counter() - wall_start < seconds:
        one()
        count += 1
    return (time.process_time() - cpu_start) / count, (time.perf_counter() - wall_start) / count


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0, help="time spent on each set")
    parser.add_argument("--set", dest="sets", type=parameter_set, action="append", help="m_kib,t,p")
    args = parser.parse_args()

    print(f"{os.cpu_count()} cores; target {TARGET_PER_CORE} sign-ins/s per vCPU")
    print(
        f"{'memory KiB':>10} {'t':>2} {'p':>2} {'CPU ms/hash':>12} {'wall ms/hash':>13} "
        f"{'hashes/s/core':>14} {'headroom':>9} {'cost vs first':>14}"
    )
    first = None
    for memory_kib, time_cost, parallelism in args.sets or DEFAULT_SETS:
        cpu, wall = cost_of_one_hash(memory_kib, time_cost, parallelism, args.seconds)
        first = first or cpu
        per_core = 1 / cpu
        # With one lane, wall time well over CPU time means something else had the core.
        busy = "  (machine busy?)" if parallelism == 1 and wall > 1.2 * cpu else ""
        print(
            f"{memory_kib:>10} {time_cost:>2} {parallelism:>2} {cpu * 1000:>12.1f} {wall * 1000:>13.1f} "
            f"{per_core:>14.1f} {per_core / TARGET_PER_CORE:>8.2f}x {cpu / first:>13.2f}x{busy}"
        )


if __name__ == "__main__":
    main()
