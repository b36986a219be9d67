"""torch.backends.mps's questions, for scripts that pick a device: minigrad has no Apple GPU backend."""


def is_available():
    """False: minigrad runs on the CPU or, through CuPy, on NVIDIA GPUs."""
    return False


def is_built():
    return False
