"""torch.backends.cudnn's flags, accepted without effect: minigrad's convolutions do not use cuDNN
(im2col and matrix products on the GPU, deterministic whatever ``deterministic`` says).

Example (as in torch scripts)::

    import minigrad.backends.cudnn as cudnn
    cudnn.benchmark = True      # accepted; changes nothing
"""
benchmark = False
deterministic = False
enabled = True


def is_available():
    """False: minigrad never calls cuDNN."""
    return False
