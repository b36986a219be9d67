"""What every topic of the front shares: the device, its loops, contiguous copies and write-back,
and the one method every elementwise kernel goes through."""
import inspect

from .. import cpu_loops
from .._checks import check_float_array, check_like


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

    def elementwise(self, loop, *arrays, scalars=()):
        """The output of the elementwise loop named ``loop``, whose arguments are the input arrays
        (flat), the output, then ``scalars``. Inputs: one float dtype, shape and device, any strides.
        A new elementwise kernel needs no method of its own here.

        Example: ``kernels.elementwise("relu_backward", gy, y)`` -> gx like y
        """
        names = self._parameter_names.get(loop) or self._name_parameters(loop)
        first = arrays[-1]  # the last input: relu_backward(gy, y) checks gy against y, as messages name them
        check_float_array(first, names[len(arrays) - 1])
        for name, array in zip(names, arrays[:-1]):
            check_like(array, name, first, names[len(arrays) - 1])
        arrays = [self._contiguous(a) for a in arrays]
        # an array of its own (not a view: a leaf adopts it as .grad without a copy); a 0-d one is
        # made flat, since the CuPy emulator cannot allocate 0-d arrays
        out = self.xp.empty(first.shape, first.dtype) if first.ndim else self.xp.empty(1, first.dtype)
        getattr(self.loops, loop)(*self._flat(arrays), out.reshape(-1), *scalars)
        return out if first.ndim else out.reshape(())

    _parameter_names = {}  # loop name -> its parameters' names, for messages

    def _name_parameters(self, loop):
        # the Cython def's names: the CUDA launchers take the same arguments (a test checks) as *arguments
        names = self._parameter_names[loop] = tuple(inspect.signature(getattr(cpu_loops, loop)).parameters)
        return names

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
