"""The oracle's tests import ``oracle.*`` (tests/ is on sys.path, see tests/conftest.py); without torch
every test module skips with the install hint, and the summary says how much of the README's API
overview the oracle covers."""


def _has_torch():
    try:
        import torch  # noqa: F401
    except ModuleNotFoundError:
        return False
    return True


def pytest_terminal_summary(terminalreporter):
    if not _has_torch():
        return
    from oracle.inventory import inventory

    covered, claimed, _ = inventory()
    terminalreporter.write_line(f"oracle: {len(covered)} / {len(claimed)} of the README's API names that torch "
                                f"also has are compared with torch (python -m tests.oracle --inventory lists them)")


def pytest_runtest_teardown(item):
    """A case that leaves grad mode off would turn every later comparison into 'no gradient'."""
    if not _has_torch():
        return
    import torch

    import minigrad as mg

    assert torch.is_grad_enabled() and mg.is_grad_enabled(), f"{item.nodeid} left grad mode off"
