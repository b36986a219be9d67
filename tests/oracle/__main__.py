"""``python -m tests.oracle --inventory``: the README's API names that torch also has, each covered by
the oracle or not comparable (with why), the uncovered ones and the minigrad-only ones."""
import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/: op_db and the oracle package

from oracle.inventory import NOT_COMPARABLE, inventory, minigrad_only  # noqa: E402


def main():
    parser = argparse.ArgumentParser(prog="python -m tests.oracle", description=__doc__)
    parser.add_argument("--inventory", action="store_true", help="list covered / claimed names")
    parser.parse_args()
    covered, claimed, not_comparable = inventory()
    uncovered = sorted(set(claimed) - set(covered) - set(not_comparable))
    print(f"covered {len(covered)} / claimed {len(claimed)} (README API names that torch also has); "
          f"{len(not_comparable)} not comparable, {len(uncovered)} uncovered")
    print("\ncovered:\n  " + "\n  ".join(covered))
    print("\nnot comparable:\n  " + "\n  ".join(f"{n}: {NOT_COMPARABLE[n]}" for n in not_comparable))
    print("\nuncovered:\n  " + ("\n  ".join(uncovered) or "(none)"))
    print("\nminigrad only (torch has no such name):\n  " + "\n  ".join(minigrad_only()))
    return 1 if uncovered else 0


if __name__ == "__main__":
    sys.exit(main())
