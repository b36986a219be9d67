"""Generic checks of every op in tests/op_db.py, on every device: forward against the float64
NumPy reference, gradcheck in float64, float32 against the reference, strided and negative-stride
input against a contiguous copy, and the errors each op must raise."""
import numpy as np
import pytest

import minigrad as mg
from op_db import OPS, Const, F32, F64

# kl_div's reduction="mean" warns as torch's does; NaN/Inf samples make NumPy warn on the CPU
pytestmark = [pytest.mark.filterwarnings("ignore:reduction. 'mean' divides the total loss:UserWarning"),
              pytest.mark.filterwarnings("ignore:invalid value:RuntimeWarning"),
              pytest.mark.filterwarnings("ignore:divide by zero:RuntimeWarning"),
              pytest.mark.filterwarnings("ignore:overflow:RuntimeWarning")]

DIFFERENTIABLE = [op for op in OPS if op.differentiable]
WITH_ERRORS = [op for op in OPS if op.errors]


def by_name(ops):
    return pytest.mark.parametrize("op", ops, ids=[op.name for op in ops])


def samples(op, seed=0):
    """The entry's samples, the same ones on every call."""
    return op.samples(np.random.default_rng(seed))


def on_the_emulator():
    import cupy

    return getattr(cupy, "__cuda_emulator__", False)


def expect_failure_if_known(op, test, device, request):
    reason = op.xfail.get(f"{test}-{device}", op.xfail.get(test))
    if device == "cuda" and not reason and on_the_emulator():
        reason = op.xfail.get(f"{test}-cuda-emu")
    if reason:
        request.applymarker(pytest.mark.xfail(strict=True, reason=reason))


def to_device(array, device):
    """An array on ``device`` keeping its strides (mg.tensor would copy it contiguous)."""
    if device == "cuda":
        import cupy

        base = array.base if array.base is not None else array
        offset = (array.__array_interface__["data"][0] - base.__array_interface__["data"][0])
        moved = cupy.asarray(base)
        return cupy.ndarray(array.shape, array.dtype, moved.data + offset, array.strides)
    return array


def tensors(sample, dtype, device, view=lambda a: a):
    """The sample's arguments as Tensors of ``dtype`` on ``device``, each float array through ``view``
    (which may return a strided array of the same values). Returns (args, the tensors that need grad)."""
    args, variables = [], []
    for a in sample.args:
        if isinstance(a, Const) or (isinstance(a, np.ndarray) and a.dtype.kind == "f"):
            values = a.array if isinstance(a, Const) else a
            t = mg.as_tensor(to_device(view(values.astype(dtype)), device))
            if not isinstance(a, Const):
                t.requires_grad_(True)
                variables.append(t)
            args.append(t)
        elif isinstance(a, np.ndarray):
            args.append(mg.tensor(a, device=device))
        else:
            args.append(a)
    return args, variables


def float64_values(sample, dtype):
    """The reference's inputs: the arguments as ``dtype`` would round them, in float64."""
    def value(a):
        if isinstance(a, Const):
            a = a.array
        if isinstance(a, np.ndarray) and a.dtype.kind == "f":
            return a.astype(dtype).astype(F64)
        return a
    return [value(a) for a in sample.args]


def outputs(result):
    return list(result) if isinstance(result, (tuple, list)) else [result]


def reference(op, sample, dtype, got):
    args = float64_values(sample, dtype)
    with np.errstate(all="ignore"):
        if op.ref_takes_output:
            return outputs(op.ref(*[g.detach().numpy() for g in got], *args, **sample.kwargs))
        return outputs(op.ref(*args, **sample.kwargs))


def check_against_reference(op, dtype, device):
    rtol, atol = op.tolerance(dtype)
    for sample in samples(op):
        args, _ = tensors(sample, dtype, device)
        got = outputs(op.op(*args, **sample.kwargs))
        want = reference(op, sample, dtype, got)
        assert len(got) == len(want), f"{sample.name}: {len(got)} outputs, reference has {len(want)}"
        for g, w in zip(got, want):
            w = np.asarray(w)
            assert g.device == device and g.shape == w.shape, f"{sample.name}: {g.device} {g.shape} vs {w.shape}"
            if w.dtype.kind == "f":
                assert g.dtype == dtype, f"{sample.name}: dtype {g.dtype}, expected {dtype}"
            np.testing.assert_allclose(g.detach().numpy(), w, rtol=rtol, atol=atol, equal_nan=True,
                                       err_msg=f"{op.name} sample {sample.name}")
        if op.method:
            args, _ = tensors(sample, dtype, device)
            method = getattr(args[0], op.method)(*args[1:], **sample.kwargs)
            np.testing.assert_array_equal(outputs(method)[0].detach().numpy(), got[0].detach().numpy(), err_msg=f"Tensor.{op.method}")


@by_name(OPS)
def test_forward_matches_the_float64_reference(op, device, request):
    expect_failure_if_known(op, "forward", device, request)
    check_against_reference(op, F64, device)


@by_name([op for op in OPS if F32 in op.dtypes])
def test_float32_stays_float32_within_tolerance_of_the_reference(op, device, request):
    expect_failure_if_known(op, "float32", device, request)
    check_against_reference(op, F32, device)


@by_name(OPS)
def test_results_hold_arrays_of_their_device(op, device):
    """Every output's data is an array of the device, 0-d results included (NumPy gives a scalar for
    0-d operands: it has no device, no ``.get()``, no in-place writes)."""
    array_type = np.ndarray if device == "cpu" else pytest.importorskip("cupy").ndarray
    for sample in samples(op):
        args, _ = tensors(sample, F64, device)
        for out in outputs(op.op(*args, **sample.kwargs)):
            assert isinstance(out._data, array_type), f"{sample.name}: data is a {type(out._data).__name__}"


def as_one_output(op, sample, args, variables):
    """gradcheck's fn: the variables in, every float output flattened into one Tensor."""
    positions = [i for i, a in enumerate(args) if any(a is v for v in variables)]

    def fn(*values):
        call = list(args)
        for i, v in zip(positions, values):
            call[i] = v
        floats = [o.reshape(-1) for o in outputs(op.op(*call, **sample.kwargs)) if o.dtype.kind == "f"]
        return floats[0] if len(floats) == 1 else mg.cat(floats)
    return fn


@by_name(DIFFERENTIABLE)
def test_gradcheck_in_float64(op, device, request):
    expect_failure_if_known(op, "gradcheck", device, request)
    checked = 0
    for sample in samples(op):
        if not sample.grad:
            continue
        args, variables = tensors(sample, F64, device)
        if not variables:
            continue
        try:
            mg.gradcheck(as_one_output(op, sample, args, variables), variables)
        except mg.GradcheckError as error:
            raise AssertionError(f"{op.name} sample {sample.name}: {error}") from None
        checked += 1
    assert checked, f"{op.name} has no sample for gradcheck"


def _gradient_samples(op, device):
    """(sample, args, variables) for each sample whose gradient is checked."""
    for sample in samples(op):
        args, variables = tensors(sample, F64, device)
        if sample.grad and variables:
            yield sample, args, variables


@by_name([op for op in DIFFERENTIABLE if op.gradgrad])
def test_gradgradcheck_in_float64(op, device, request):
    expect_failure_if_known(op, "gradgradcheck", device, request)
    checked = 0
    for sample, args, variables in _gradient_samples(op, device):
        try:
            mg.autograd.gradgradcheck(as_one_output(op, sample, args, variables), variables)
        except mg.GradcheckError as error:
            raise AssertionError(f"{op.name} sample {sample.name}: {error}") from None
        checked += 1
    assert checked, f"{op.name} has no sample for gradgradcheck"


class _ArrayBackwardOnly(mg.Op):
    """An op with only the array backward, as users write them: no double backward."""

    def forward(self, x):
        self.x = x
        return x * x

    def backward(self, gy):
        return 2 * self.x * gy


def test_create_graph_through_an_op_without_double_backward_raises(device):
    """A gap in double backward is an error that names the op, never a silently wrong gradient: the
    table's entries listed in op_db.WITHOUT_DOUBLE_BACKWARD (none today) and an op without backward_graph."""
    x = mg.tensor(np.array([1.0, -2.0]), requires_grad=True, device=device)
    calls = [(_ArrayBackwardOnly()(x), [x], "_ArrayBackwardOnly")]
    for op in DIFFERENTIABLE:
        if not op.gradgrad:
            sample, args, variables = next(_gradient_samples(op, device))
            calls.append((as_one_output(op, sample, args, variables)(*variables), variables, op.name))
    for out, variables, name in calls:
        with pytest.raises(RuntimeError, match=r"double backward \(create_graph=True\) is not implemented"):
            mg.autograd.grad(out.sum(), variables, create_graph=True)
            pytest.fail(f"{name}: create_graph went through an op without backward_graph")


def transposed(a):
    """The same values with the last two axes' strides swapped (a Fortran-order view)."""
    return np.swapaxes(np.ascontiguousarray(np.swapaxes(a, -1, -2)), -1, -2) if a.ndim >= 2 else a


def stepped(a):
    """The same values, every other element of a twice-as-long last axis."""
    base = np.zeros(a.shape[:-1] + (2 * a.shape[-1],), a.dtype) if a.ndim else a
    if a.ndim:
        base[..., ::2] = a
        return base[..., ::2]
    return a


def reversed_(a):
    """The same values through a negative stride on the last axis."""
    return np.ascontiguousarray(a[..., ::-1])[..., ::-1] if a.ndim else a


@by_name(OPS)
@pytest.mark.parametrize("view", [transposed, stepped, reversed_], ids=["transposed", "stepped", "negative-stride"])
def test_strided_input_gives_the_contiguous_result(op, view, device, request):
    expect_failure_if_known(op, "strided", device, request)
    for sample in samples(op):
        if not any(isinstance(a, (np.ndarray, Const)) and np.asarray(getattr(a, "array", a)).ndim >= 1
                   and getattr(a, "array", a).dtype.kind == "f" for a in sample.args):
            continue
        runs = []
        for make_view in (lambda a: a, view):
            args, variables = tensors(sample, F64, device, make_view)
            outs = [o for o in outputs(op.op(*args, **sample.kwargs))]
            floats = [o for o in outs if o.dtype.kind == "f" and o.numel()]
            if op.differentiable and variables and floats:
                loss = sum(((o * mg.tensor(np.cos(np.arange(o.numel())).reshape(o.shape), device=device)).sum()
                            for o in floats), mg.tensor(0.0, dtype=F64, device=device))
                loss.backward()
            runs.append([o.detach().numpy() for o in outs]
                        + [np.zeros(v.shape) if v.grad is None else v.grad.numpy() for v in variables])
        for contiguous, strided in zip(*runs):
            np.testing.assert_allclose(strided, contiguous, rtol=1e-12, atol=1e-14, equal_nan=True,
                                       err_msg=f"{op.name} sample {sample.name}")


@by_name(WITH_ERRORS)
def test_declared_errors_are_raised(op, device, request):
    expect_failure_if_known(op, "errors", device, request)
    rng = np.random.default_rng(0)

    def t(*shape, dtype=F64):
        return mg.tensor(rng.standard_normal(shape), dtype=dtype, device=device)
    t.index = lambda values: mg.tensor(values, device=device)

    for call, exception, message in op.errors:
        with pytest.raises(exception, match=message):
            call(t)
