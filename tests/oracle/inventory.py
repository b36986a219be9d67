"""What the oracle covers of the README's API overview.

``claimed_names()`` parses the overview (from "## API overview" to "### Semantics you can rely on"):
each backticked name, qualified by where it stands (``mg.X``, ``F.X``, ``nn.X``, ``optim.X``,
``lr_scheduler.X``, ``init.X``, ``utils.X``; a ``.X`` is a method of Tensor, or of Module, Optimizer or
the schedulers in their bullets; ``a/b`` alternatives are separate names). ``inventory()`` keeps the
names torch also has and splits them into covered (a call in the oracle's tables names them: the op
table's entries, tests/oracle/cases.py, training.py, test_serialization.py) and NOT_COMPARABLE (with why).
"""
import re
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[2]
SOURCES = [ROOT / "tests" / "op_db.py", Path(__file__).with_name("cases.py"), Path(__file__).with_name("training.py"),
           Path(__file__).with_name("test_serialization.py")]

NOT_COMPARABLE = {
    "mg.manual_seed": "the generators differ (Philox keyed by the seed vs torch's Mersenne Twister); seeded "
                      "reproducibility is tested in tests/",
    "Tensor.cuda": "no GPU on the oracle's machines; the GPU path is tested against the CPU in tests/ (gpu marker)",
    "mg.set_num_threads": "a process setting: no value to compare",
    "mg.get_num_threads": "a process setting: its default follows each library's own thread pool",
    "Tensor.grad_fn": "autograd node objects differ by design; only `grad_fn is None` is compared",
    "Optimizer.state": "per-parameter state layouts differ (torch keeps `step` as a tensor); the updates it drives "
                       "are compared step by step",
    "Optimizer.state_dict": "layouts differ (torch's is pickled tensors keyed by index); the round trip is tested "
                            "in tests/optim",
    "Optimizer.load_state_dict": "layouts differ (see Optimizer.state_dict); tested in tests/optim",
    "LRScheduler.state_dict": "torch's holds its callables and internals; the round trip is tested in tests/optim",
    "LRScheduler.load_state_dict": "see LRScheduler.state_dict",
    "Optimizer.add_param_group": "compared through the param_groups of the optimizer cases (two groups, own lr)",
    "mg.onnx.export": "writes a file, not a value: ONNX Runtime runs each exported file and is compared with "
                      "minigrad's own forward in tests/test_onnx.py",
}

# where a ".X" in a bullet belongs: the first matching marker in the bullet's text
CONTEXTS = [("`nn.Module`", "Module"), ("every optimizer", "Optimizer"), ("`optim.lr_scheduler`", "LRScheduler"),
            ("`nn.init`", "init"), ("clip_grad_norm_", "utils")]
BARE_CONTEXTS = {"LRScheduler": "lr_scheduler", "init": "init", "utils": "utils", "Module": "Module"}
OPERATORS = {"+": "__add__", "-": "__sub__", "*": "__mul__", "/": "__truediv__", "**": "__pow__", "@": "__matmul__",
             "<": "__lt__", "<=": "__le__", ">": "__gt__", ">=": "__ge__", "==": "__eq__", "!=": "__ne__",
             "~": "__invert__", "&": "__and__", "|": "__or__", "^": "__xor__", "//": "__floordiv__", "%": "__mod__",
             "+=": "__iadd__", "-=": "__isub__", "*=": "__imul__", "/=": "__itruediv__"}


def _overview():
    text = (ROOT / "README.md").read_text()
    start = text.index("## API overview")
    return text[start:text.index("### Semantics you can rely on", start)]


def _bullets(text):
    """Each '- ' bullet with its continuation lines, plus the unbulleted lines (import headers)."""
    return re.split(r"\n(?=- |\S)", text)


def _expand(prefix, base, alternatives):
    names = [base]
    for alt in alternatives:
        alt = alt.lstrip(".")
        names.append(re.sub(r"\d+d$", alt, base) if re.fullmatch(r"\d+d", alt) else alt)
    return [f"{prefix}.{n}" for n in names]


def claimed_names():
    """Every name the overview documents, qualified (see the module docstring)."""
    names = set()
    for bullet in _bullets(_overview()):
        context = next((c for marker, c in CONTEXTS if marker in bullet), "Tensor")
        for span in re.findall(r"`([^`]+)`", bullet):
            for token in span.split():
                if token in OPERATORS:
                    names.add(f"Tensor.{OPERATORS[token]}")
            for prefix, base, alts in re.findall(r"\b(mg|F|nn|optim)\.([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)?)((?:/\.?\w+)*)",
                                                 span):
                names.update(_expand(prefix, base, [a for a in alts.split("/") if a]))
            for base, alts in re.findall(r"(?:^|[\s(,])(?:[tx]|opt|p|h)?\.([A-Za-z_]\w*)((?:/\.?[A-Za-z_]\w*)*)", span):
                names.update(_expand(context, base, [a for a in alts.split("/") if a]))
            bare = re.match(r"^([A-Za-z_]\w*)(?:\(|$)", span)
            if bare and context in BARE_CONTEXTS and not span.startswith(("nn.", "optim")):
                names.add(f"{BARE_CONTEXTS[context]}.{bare.group(1)}")
    return {n for n in names if not re.search(r"\.(npz|npy|pt)$", n)}


def _torch_object(name):
    prefix, rest = name.split(".", 1)
    import torch.nn.functional  # noqa: F401

    roots = {"mg": torch, "F": torch.nn.functional, "nn": torch.nn, "optim": torch.optim,
             "lr_scheduler": torch.optim.lr_scheduler, "init": torch.nn.init, "utils": torch.nn.utils}
    if prefix in roots:
        obj = roots[prefix]
    else:
        instances = {"Tensor": lambda: torch.zeros(2, 2, requires_grad=True), "Module": lambda: torch.nn.Linear(1, 1),
                     "Optimizer": lambda: torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1),
                     "LRScheduler": lambda: torch.optim.lr_scheduler.StepLR(
                         torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1), 1)}
        obj = instances[prefix]()
    for part in rest.split("."):
        if not hasattr(obj, part):
            return None
        obj = getattr(obj, part)
    return obj


def covered_names():
    """Names the oracle's calls use: scanned from the sources of the op table and the oracle's tables."""
    found = set()
    for path in SOURCES:
        text = path.read_text()
        for prefix, name in re.findall(r"(?=\b(mg|F|nn|optim|lr_scheduler|init|utils)\.(\w+(?:\.from_pretrained)?))", text):
            found.add(f"{prefix}.{name}")
        for prefix, name in re.findall(r"\bm\.(F|nn)\.(\w+)", text):
            found.add(f"{prefix}.{name}")
        found |= {f"mg.{n}" for n in re.findall(r"\bm\.(\w+)", text)}
        found |= {f"{p}.{n}" for n in re.findall(r"(?:nn\.init|nn\.utils)\.(\w+)", text) for p in ("init", "utils")}
        found |= {f"lr_scheduler.{n}" for n in re.findall(r"\bs\.(\w+)\(", text)}
        methods = set(re.findall(r"\.(\w+)", text)) | set(re.findall(r'"(\w+)"', text))
        found |= {f"{ctx}.{n}" for n in methods for ctx in ("Tensor", "Module", "Optimizer", "LRScheduler")}
        # names the tables hold as strings: getattr(mg, "exp"), ("uniform_", {...}), ("SGD", {...})
        found |= {f"{ctx}.{n}" for n in re.findall(r'"(\w+)"', text)
                  for ctx in ("mg", "init", "utils", "optim", "lr_scheduler")}
    from oracle.cases import CASES

    for case in CASES:
        found.update(case.covers)
    found |= {f"Tensor.{OPERATORS[op]}" for op in OPERATORS}  # operators: the promotion table and arith-grad
    return found


def inventory():
    """(covered, claimed, not_comparable): sorted names of the README's overview that torch also has."""
    claimed = sorted(n for n in claimed_names() if _torch_object(n) is not None)
    covered_set = covered_names()
    covered = [n for n in claimed if n in covered_set and n not in NOT_COMPARABLE]
    not_comparable = [n for n in claimed if n in NOT_COMPARABLE]
    return covered, claimed, not_comparable


def minigrad_only():
    return sorted(n for n in claimed_names() if _torch_object(n) is None)
