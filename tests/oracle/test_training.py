"""Every nn module (same weights), nn.init (the distributions' bounds), optimizer (same parameters and
gradients for a few steps), LR scheduler (stepped N times) and nn.utils clipping against torch."""
import pytest

from oracle import HINT

torch = pytest.importorskip("torch", reason=HINT)

from oracle import training as T  # noqa: E402
from oracle.cases import Lib  # noqa: E402
from oracle.harness import MG, TORCH, differences, judge, run  # noqa: E402
from oracle.known import TRAINING_KNOWN  # noqa: E402

pytestmark = [pytest.mark.filterwarnings("ignore::UserWarning"), pytest.mark.filterwarnings("ignore::RuntimeWarning")]


def check(request, mine, theirs, dtype="float64", **tolerance):
    judge(request.node.callspec.id, differences(mine, theirs, dtype, **tolerance), TRAINING_KNOWN, request, pytest.fail)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("case", T.MODULES, ids=[c.name for c in T.MODULES])
def test_module_matches_torch(case, dtype, request):
    state = T._initial_state(case, dtype)
    check(request, T.run_module(MG, case, dtype, state), T.run_module(TORCH, case, dtype, state), dtype)


@pytest.mark.parametrize("name, kwargs", T.INIT_RANDOM, ids=[f"{n}{k}" for n, k in T.INIT_RANDOM])
def test_init_distribution_matches_torch(name, kwargs, request):
    # 18432 draws: std within 3%, the largest |w| (the bound, for uniform) within 3% of torch's
    check(request, run(MG, lambda: T.init_statistics(MG, name, kwargs)),
          run(TORCH, lambda: T.init_statistics(TORCH, name, kwargs)), rtol=0.03, atol=0.03)


@pytest.mark.parametrize("i", range(len(T.INIT_EXACT)))
def test_init_values_match_torch(i, request):
    call = T.INIT_EXACT[i]
    check(request, run(MG, lambda: call(Lib(MG))), run(TORCH, lambda: call(Lib(TORCH))))


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name, kwargs", T.OPTIMIZERS, ids=[f"{n}{k}" for n, k in T.OPTIMIZERS])
def test_optimizer_matches_torch(name, kwargs, dtype, request):
    check(request, T.run_optimizer(MG, name, kwargs, dtype), T.run_optimizer(TORCH, name, kwargs, dtype), dtype)


@pytest.mark.parametrize("kwargs, dtype", T.LBFGS_CASES, ids=[f"{k}-{d}" for k, d in T.LBFGS_CASES])
def test_lbfgs_matches_torch(kwargs, dtype, request):
    check(request, T.run_lbfgs(MG, kwargs, dtype), T.run_lbfgs(TORCH, kwargs, dtype), dtype)


@pytest.mark.parametrize("name, kwargs", T.OPTIMIZER_ERRORS, ids=[f"{n}{k}" for n, k in T.OPTIMIZER_ERRORS])
def test_optimizer_refusals_match_torch(name, kwargs, request):
    check(request, T.run_optimizer_error(MG, name, kwargs), T.run_optimizer_error(TORCH, name, kwargs))


@pytest.mark.parametrize("name, make", T.SCHEDULERS, ids=[n for n, _ in T.SCHEDULERS])
def test_scheduler_matches_torch(name, make, request):
    check(request, T.run_scheduler(MG, make), T.run_scheduler(TORCH, make))


def test_warm_restarts_with_epochs_match_torch(request):
    make = dict(T.SCHEDULERS)["CosineAnnealingWarmRestarts"]
    mine = T.run_scheduler(MG, make, warm_restart_epochs=T.WARM_RESTART_EPOCHS)
    judge("warm-restarts-epochs", differences(mine, T.run_scheduler(TORCH, make, warm_restart_epochs=T.WARM_RESTART_EPOCHS)),
          TRAINING_KNOWN, request, pytest.fail)


@pytest.mark.parametrize("kwargs", T.PLATEAU, ids=[str(k) for k in T.PLATEAU])
def test_reduce_lr_on_plateau_matches_torch(kwargs, request):
    check(request, T.run_scheduler(MG, None, plateau=kwargs), T.run_scheduler(TORCH, None, plateau=kwargs))


@pytest.mark.parametrize("grads", list(T.CLIP_GRADS), ids=list(T.CLIP_GRADS))
@pytest.mark.parametrize("kind, kwargs", T.CLIP + [("clip_grad_norm_", {"max_norm": 1.0, "error_if_nonfinite": True})],
                         ids=[f"{k}{a}" for k, a in T.CLIP] + ["error_if_nonfinite"])
def test_clip_matches_torch(kind, kwargs, grads, request):
    check(request, T.run_clip(MG, kind, T.CLIP_GRADS[grads], kwargs), T.run_clip(TORCH, kind, T.CLIP_GRADS[grads], kwargs))


@pytest.mark.parametrize("name", list(T.STRUCTURE))
def test_module_api_matches_torch(name, request):
    fn = T.STRUCTURE[name]
    check(request, run(MG, lambda: fn(MG)), run(TORCH, lambda: fn(TORCH)))


