"""mg.backends.cudnn and mg.backends.mps: torch's switches, accepted without effect."""
import minigrad as mg
import minigrad.backends.cudnn as cudnn


def test_cudnn_flags_are_accepted_with_torch_defaults(monkeypatch):
    assert (cudnn.benchmark, cudnn.deterministic, cudnn.enabled) == (False, False, True)  # torch's defaults
    assert mg.backends.cudnn is cudnn and cudnn.is_available() is False
    x, w = mg.randn(1, 1, 4, 4), mg.randn(1, 1, 3, 3)
    for flag in ("benchmark", "deterministic", "enabled"):
        monkeypatch.setattr(cudnn, flag, not getattr(cudnn, flag))
    flipped = mg.nn.functional.conv2d(x, w)
    monkeypatch.undo()
    assert (flipped == mg.nn.functional.conv2d(x, w)).all()


def test_mps_is_not_available():
    assert mg.backends.mps.is_available() is False and mg.backends.mps.is_built() is False
