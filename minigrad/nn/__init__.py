"""Modules: layers, containers and losses (PyTorch's torch.nn); ``nn.init`` initialises parameters.
``minigrad.nn.functional`` is ``minigrad.functional`` (as torch.nn.functional). Each file's
``__all__`` is what it adds to ``nn``: a new layer is one class in its file and its name there."""
import sys

from .. import functional
from . import init, layers, lazy, loss, module, recurrent, spatial, transformer
from .layers import *  # noqa: F401,F403
from .lazy import *  # noqa: F401,F403
from .loss import *  # noqa: F401,F403
from .module import *  # noqa: F401,F403
from .recurrent import *  # noqa: F401,F403
from .spatial import *  # noqa: F401,F403
from .transformer import *  # noqa: F401,F403
from . import parallel  # after layers: SyncBatchNorm extends their BatchNorm
from .parallel import SyncBatchNorm

__all__ = [*module.__all__, *layers.__all__, *lazy.__all__, *loss.__all__, *recurrent.__all__, *spatial.__all__,
           *transformer.__all__, "SyncBatchNorm", "init", "utils", "parallel"]

sys.modules[__name__ + ".functional"] = functional  # `import minigrad.nn.functional as F` works

from . import utils  # noqa: E402  (nn.utils.fuse_batch_norm; it reads the layer classes above)
from . import modules  # noqa: E402  (torch's paths nn.modules.<file>.<Class>: every layer above)
