"""Variable-length sequences for the recurrent layers (torch.nn.utils.rnn): PackedSequence,
pack_padded_sequence, pad_packed_sequence, pad_sequence, pack_sequence.

A PackedSequence holds the rows of a batch of sequences in time order: step t contributes
batch_sizes[t] rows, those of the sequences still running, longest first. Packing and padding are
row gathers (differentiable, one index op each).
"""
from collections import namedtuple

import numpy as np

from ...creation import full, tensor
from ...ops.shape import cat, stack
from ...tensor import Tensor

__all__ = ["PackedSequence", "pack_padded_sequence", "pad_packed_sequence", "pad_sequence", "pack_sequence"]


class PackedSequence(namedtuple("PackedSequence", ["data", "batch_sizes", "sorted_indices", "unsorted_indices"])):
    """data (sum(batch_sizes), *): the rows in time order; batch_sizes: int64 (steps,) on the CPU;
    sorted_indices / unsorted_indices: int64 (N,) (the order by length and its inverse), or None when
    the batch came sorted. Example: ``pack_sequence([mg.randn(3, 2), mg.randn(1, 2)]).batch_sizes`` ->
    tensor([2, 1, 1])"""

    def __new__(cls, data, batch_sizes=None, sorted_indices=None, unsorted_indices=None):
        if unsorted_indices is None and sorted_indices is not None:
            unsorted_indices = _inverse(sorted_indices)
        return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)

    def to(self, *args, **kwargs):
        """The same sequence with data converted as ``data.to(...)`` (the indices follow a device change)."""
        data = self.data.to(*args, **kwargs)
        if data is self.data:
            return self
        move = (lambda t: None if t is None else t.to(data.device))
        return type(self)(data, self.batch_sizes, move(self.sorted_indices), move(self.unsorted_indices))

    @property
    def is_cuda(self):
        return self.data.device.type == "cuda"


def _inverse(permutation):
    inverse = np.empty(permutation.shape[0], dtype=np.int64)
    inverse[permutation.detach().cpu().numpy()] = np.arange(permutation.shape[0])
    return tensor(inverse, device=permutation.device)


def _lengths(lengths):
    values = np.asarray(lengths.detach().cpu().numpy() if isinstance(lengths, Tensor) else lengths, dtype=np.int64)
    if values.ndim != 1:
        raise ValueError(f"lengths must be 1-D, got shape {values.shape}")
    return values


def pack_padded_sequence(input, lengths, batch_first=False, enforce_sorted=True):
    """Pack a padded batch (L, N, *) ((N, L, *) with batch_first) of sequences of the given lengths.
    enforce_sorted=True needs lengths in decreasing order; False sorts them (kept in sorted_indices).
    Example: ``pack_padded_sequence(mg.randn(4, 2, 3), [4, 2])``"""
    lengths = _lengths(lengths)
    batch_dim = 0 if batch_first else 1
    if lengths.shape[0] != input.shape[batch_dim]:
        raise ValueError(f"pack_padded_sequence: expected {input.shape[batch_dim]} lengths (the batch size), got "
                         f"{lengths.shape[0]}")
    if lengths.size and lengths.min() <= 0:
        raise RuntimeError("Length of all samples has to be greater than 0, but found an element in 'lengths' that "
                           "is <= 0")
    if lengths.size and lengths.max() > input.shape[1 - batch_dim]:
        raise RuntimeError(f"pack_padded_sequence: a length {lengths.max()} exceeds the {input.shape[1 - batch_dim]} "
                           "steps of the input")
    if enforce_sorted:
        if np.any(np.diff(lengths) > 0):
            raise RuntimeError("`lengths` array must be sorted in decreasing order when `enforce_sorted` is True. "
                               "You can pass `enforce_sorted=False` to pack_padded_sequence and/or pack_sequence to "
                               "sidestep this requirement if you do not need ONNX exportability.")
        order, sorted_indices = np.arange(lengths.shape[0]), None
    else:
        order = np.argsort(-lengths, kind="stable")
        sorted_indices = tensor(order, device=input.device)
    if batch_first:
        input = input.transpose(0, 1)
    steps, batch = input.shape[:2]
    sorted_lengths = lengths[order]
    batch_sizes = (sorted_lengths[None, :] > np.arange(int(sorted_lengths[0]) if batch else 0)[:, None]).sum(axis=1)
    # row t * N + order[j] of the padded rows, for each step t and each of its batch_sizes[t] sequences j
    rows = np.concatenate([t * batch + order[:size] for t, size in enumerate(batch_sizes)] or [np.zeros(0, np.int64)])
    data = input.reshape(steps * batch, *input.shape[2:])[tensor(rows, device=input.device)]
    return PackedSequence(data, tensor(batch_sizes.astype(np.int64)), sorted_indices)


def pad_packed_sequence(sequence, batch_first=False, padding_value=0.0, total_length=None):
    """The inverse of pack_padded_sequence: (padded (L, N, *) or (N, L, *), lengths int64 (N,)), in
    the batch's original order; L = total_length or the longest sequence, padding set to padding_value.
    Example: ``padded, lengths = pad_packed_sequence(packed, batch_first=True)``"""
    data, batch_sizes = sequence.data, sequence.batch_sizes.detach().cpu().numpy().astype(np.int64)
    steps, batch = batch_sizes.shape[0], (int(batch_sizes[0]) if batch_sizes.size else 0)
    if total_length is not None:
        if total_length < steps:
            raise ValueError(f"Expected total_length to be at least the length of the longest sequence in input, but "
                             f"got total_length={total_length} and max sequence length being {steps}")
        steps_out = total_length
    else:
        steps_out = steps
    # each padded position (t, j) reads its packed row, or the padding row appended after the data
    starts = np.concatenate([[0], np.cumsum(batch_sizes)[:-1]]).astype(np.int64)
    pad_row = data.shape[0]
    rows = np.full((steps_out, batch), pad_row, dtype=np.int64)
    for t in range(steps):
        rows[t, :batch_sizes[t]] = starts[t] + np.arange(batch_sizes[t])
    padding = full((1, *data.shape[1:]), padding_value, dtype=data.dtype, device=data.device)
    padded = cat([data, padding])[tensor(rows.reshape(-1), device=data.device)]
    padded = padded.reshape(steps_out, batch, *data.shape[1:])
    lengths = (batch_sizes[None, :] > np.arange(batch)[:, None]).sum(axis=1)
    if sequence.unsorted_indices is not None:
        padded = padded.index_select(1, sequence.unsorted_indices)
        lengths = lengths[sequence.unsorted_indices.detach().cpu().numpy()]
    return (padded.transpose(0, 1) if batch_first else padded), tensor(lengths.astype(np.int64))


def pad_sequence(sequences, batch_first=False, padding_value=0.0, padding_side="right"):
    """Stack sequences of shapes (L_i, *) into (L, N, *) ((N, L, *) with batch_first), L = max L_i,
    padding with padding_value on padding_side ("right" or "left").
    Example: ``pad_sequence([mg.ones(3), mg.ones(1)]).shape`` -> (3, 2)"""
    if padding_side not in ("right", "left"):
        raise ValueError(f"padding_side must be 'left' or 'right', got {padding_side!r}")
    sequences = list(sequences)
    if not sequences:
        raise RuntimeError("pad_sequence: received an empty list of sequences")
    longest = max(s.shape[0] for s in sequences)
    padded = []
    for s in sequences:
        missing = longest - s.shape[0]
        if missing:
            padding = full((missing, *s.shape[1:]), padding_value, dtype=s.dtype, device=s.device)
            s = cat([s, padding] if padding_side == "right" else [padding, s])
        padded.append(s)
    return stack(padded, dim=0 if batch_first else 1)


def pack_sequence(sequences, enforce_sorted=True):
    """Pack a list of sequences (L_i, *) (longest first unless enforce_sorted=False).
    Example: ``pack_sequence([mg.randn(3, 2), mg.randn(2, 2)])``"""
    lengths = [s.shape[0] for s in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)
