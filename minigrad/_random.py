"""Global random state: a NumPy generator for initialisation and random tensors, and the
(seed, offset) stream keys that the counter-based dropout kernels use.

Dropout masks are a pure function of (seed, offset, element index), so they are reproducible after
``manual_seed`` and identical on CPU and GPU. Each dropout call takes the next offset.
"""
import secrets

import numpy as np

from . import _args

_seed = secrets.randbits(63)
_dropout_offset = 0
_rank_stream = 0  # a distributed rank's dropout stream: its rank in the offsets' high bits
_generator = np.random.default_rng(_seed)


def manual_seed(seed):
    """Seed every random source in minigrad (initialisation, mg.randn/rand, dropout masks)."""
    global _seed, _dropout_offset, _generator
    seed = _args.integer(seed, "manual_seed: seed")
    if not 0 <= seed < 2**64:
        raise ValueError(f"manual_seed: seed must be in [0, 2**64), got {seed}")
    _seed = seed
    _dropout_offset = 0
    _generator = np.random.default_rng(seed)


def initial_seed():
    return _seed


def generator():
    return _generator


def next_dropout_stream():
    """(seed, offset) for one dropout call; every call gets a fresh offset."""
    global _dropout_offset
    offset = _dropout_offset
    _dropout_offset += 1
    return _seed, _rank_stream + offset


def key_dropout_by_rank(rank):
    """Give this process the dropout masks of ``rank`` (set by init_process_group): with one seed,
    each rank draws different masks, reproducible for a given world size; rank 0's are those of
    a single process. The ranks' offsets are disjoint for 2**40 dropout calls."""
    global _rank_stream
    _rank_stream = int(rank) << 40
