"""PyTorch as the test oracle: every entry of the op table (tests/op_db.py), the calls of
tests/oracle/cases.py and every nn module, optimizer and LR scheduler (tests/oracle/training.py) run on
minigrad and on torch with the same inputs; values, dtypes, shapes, gradients and errors must agree
unless tests/oracle/known.py states the difference with its reason. ``python -m tests.oracle
--inventory`` lists what is covered of the README's API overview. minigrad itself never imports torch."""

HINT = 'the oracle compares with PyTorch: pip install -e ".[test,oracle]"'
