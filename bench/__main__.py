"""`make bench`: run every bench/bench_*.py (or those named) and print their figures."""
from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(argv: list[str]) -> int:
    scripts = sorted(HERE.glob("bench_*.py"))
    parser = argparse.ArgumentParser(
        prog="python -m bench", description="Run the benchmarks and print their figures.",
        epilog="benches: " + ", ".join(s.stem.removeprefix("bench_") for s in scripts)
        + ". Each also runs alone: python bench/bench_NAME.py [its options].")
    parser.add_argument("names", nargs="*", help="run only the benches whose name contains one of these")
    args = parser.parse_args(argv)
    if args.names:
        scripts = [s for s in scripts if any(a in s.stem for a in args.names)]
    failed = []
    for script in scripts:
        print(f"\n=== {script.stem} ===", flush=True)
        t0 = time.monotonic()
        proc = subprocess.run([sys.executable, str(script)], cwd=HERE.parent)
        print(f"({script.stem}: {time.monotonic() - t0:.1f} s, exit {proc.returncode})", flush=True)
        if proc.returncode:
            failed.append(script.stem)
    if failed:
        print(f"\nfailed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
