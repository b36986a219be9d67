"""What every topic of the front shares: the device, its loops, contiguous copies and write-back."""


class KernelsBase:
    """The device's loops and array module, and the helpers every topic's methods use."""

    def __init__(self, loops, xp):
        self._loops, self.xp = loops, xp

    @property
    def loops(self):
        """The device's loop module. Every loop is reached through here, so each one first gives the
        calling thread the process-wide thread count (OpenMP keeps one per thread; see runtime)."""
        self._loops.sync_threads()
        return self._loops

    def __repr__(self):
        return f"<minigrad kernels on {self.xp.__name__}>"

    def _contiguous(self, array):
        return array if array.flags.c_contiguous else self.xp.ascontiguousarray(array)

    def _stand_ins(self, *arrays):
        """Contiguous stand-ins for arrays that a loop updates in place (None passes through): the
        arrays themselves, or contiguous copies that ``_write_back`` copies into them after the loop
        (plain calls, not a context manager: an optimizer step runs this once per parameter)."""
        for a in arrays:
            if a is not None and not a.flags.c_contiguous:
                return [b if b is None or b.flags.c_contiguous else self.xp.ascontiguousarray(b) for b in arrays]
        return arrays

    @staticmethod
    def _flat(arrays):
        """Flat views of contiguous arrays (None passes through): the elementwise loops take 1-D."""
        return [None if a is None else a.reshape(-1) for a in arrays]

    @staticmethod
    def _write_back(arrays, stand_ins):
        for original, stand_in in zip(arrays, stand_ins):
            if stand_in is not original:
                original[...] = stand_in
