"""``mg.backends``: torch's backend switches that scripts set, accepted so they run unchanged.
``mg.backends.cudnn`` (minigrad does not use cuDNN) and ``mg.backends.mps`` (no Apple GPU backend)."""
from . import cudnn, mps  # noqa: F401
