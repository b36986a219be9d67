"""mg.accelerator (minigrad/accelerator.py): the answers follow mg.cuda."""
import minigrad as mg


def test_accelerator_answers_follow_cuda():
    available = mg.cuda.is_available()
    assert mg.accelerator.is_available() is available
    assert mg.accelerator.current_accelerator() == (mg.device("cuda") if available else None)
    assert mg.accelerator.current_accelerator(check_available=True) == mg.accelerator.current_accelerator()
    assert mg.accelerator.device_count() == mg.cuda.device_count()


def test_accelerator_picks_a_device_as_torch_scripts_do():
    device = mg.accelerator.current_accelerator() or mg.device("cpu")
    assert mg.zeros(2, device=device).device == device
