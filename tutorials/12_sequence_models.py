# %% [markdown]
# # Sequence models: a character-level language model, LSTM against Transformer; BatchNorm in a Transformer
#
# A language model predicts the next character from the ones before it; its loss is the cross-entropy
# of that prediction, and its perplexity exp(loss) is the number of equally likely characters it is as
# unsure as. We train an LSTM and a small Transformer encoder with a causal mask (each position attends
# only to itself and the positions before it) on the same text, then swap the Transformer's LayerNorm
# for BatchNorm and measure what that costs.
#
# Run it with `python tutorials/12_sequence_models.py` (add `--quick` for a few-second run, which
# trains too little to conclude anything).

# %%
import copy
import math
import os

# The arrays here are small (2048 x 64): a second thread gains little, and on a machine whose cores
# are busy, threads that wait for each other made a step 5-15 times slower. So one BLAS thread (set
# OPENBLAS_NUM_THREADS yourself to override) and one minigrad thread (mg.set_num_threads below).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import minigrad as mg  # noqa: E402
import minigrad.functional as F  # noqa: E402
import minigrad.nn as nn  # noqa: E402
import minigrad.optim as optim  # noqa: E402

from _common import options, print_verdict, save_figure, smooth  # noqa: E402

args = options("Character-level language models: LSTM vs Transformer, LayerNorm vs BatchNorm")
mg.set_num_threads(1)
STEPS = 30 if args.quick else 300
SEEDS = [args.seed] if args.quick else [args.seed, args.seed + 1, args.seed + 2]
EVAL_EVERY = 10 if args.quick else 25
CONTEXT, BATCH, EMBED = 64, 32, 64

# %% [markdown]
# ## The text
# No download: a small grammar writes the text, deterministically. Its sentences have a structure a
# model can learn (words, a subject agreeing with its verb: "the cat sees" but "the cats see",
# optional phrases, full stops), and enough randomness that the next character is often not
# determined: even a perfect model keeps a perplexity above 1. The validation text comes from the same
# grammar with another seed, so it is new sentences, not new words.

# %%
SUBJECTS = {"cat": "cats", "dog": "dogs", "bird": "birds", "teacher": "teachers", "child": "children",
            "farmer": "farmers", "old man": "old men", "small girl": "small girls"}
VERBS = [("sees", "see"), ("likes", "like"), ("follows", "follow"), ("finds", "find"), ("watches", "watch")]
OBJECTS = ["the ball", "a red box", "the river", "an apple", "the green door", "a tall tree", "the moon"]
PHRASES = ["in the garden", "near the house", "at night", "after lunch", "by the sea", "every morning"]


def sentence(rng):
    plural = rng.random() < 0.4
    singular = str(rng.choice(list(SUBJECTS)))
    subject = SUBJECTS[singular] if plural else singular
    verb = VERBS[rng.integers(len(VERBS))][int(plural)]
    words = [str(rng.choice(["the", "a"]) if not plural else rng.choice(["the", "some", "two"])), subject, verb,
             str(rng.choice(OBJECTS))]
    if rng.random() < 0.5:
        words.append(str(rng.choice(PHRASES)))
    return " ".join(words) + "."


def generate_text(seed, sentences):
    rng = np.random.default_rng(seed)
    return "\n".join(" ".join(sentence(rng) for _ in range(4)) for _ in range(sentences // 4)) + "\n"


TRAIN_SENTENCES = 2000
train_text, val_text = generate_text(1, TRAIN_SENTENCES), generate_text(2, 200)
chars = sorted(set(train_text) | set(val_text))
index = {c: i for i, c in enumerate(chars)}
encode = lambda text: np.array([index[c] for c in text], dtype=np.int64)  # noqa: E731
decode = lambda ids: "".join(chars[i] for i in ids)  # noqa: E731
train_ids, val_ids = encode(train_text), encode(val_text)
print(f"{len(train_text)} training and {len(val_text)} validation characters, {len(chars)} distinct")
print(train_text[:160])

# %% [markdown]
# Training batches are BATCH windows of CONTEXT + 1 characters at random offsets: the model reads the
# first CONTEXT and predicts the last CONTEXT (each character's successor). Validation uses fixed,
# non-overlapping windows of the validation text.

# %%
def windows(ids, starts):
    rows = np.stack([ids[s:s + CONTEXT + 1] for s in starts])
    return mg.tensor(rows[:, :-1]), mg.tensor(rows[:, 1:])


val_batches = [windows(val_ids, range(s, s + BATCH * CONTEXT, CONTEXT))
               for s in range(0, len(val_ids) - BATCH * CONTEXT - 1, BATCH * CONTEXT)]

# %% [markdown]
# ## The models
# Both embed each character into EMBED = 64 numbers and end with a Linear layer to the vocabulary.
# - The LSTM: two layers of `nn.LSTM(64, 64)`; its state carries what it has read.
# - The Transformer: a learned position embedding, two `nn.TransformerEncoderLayer`s (4 heads,
#   feed-forward 128, the norm before each block: `norm_first=True`, as GPT-style models, which train
#   more easily than the norm after), a final norm, and the causal mask
#   `nn.Transformer.generate_square_subsequent_mask` (-inf above the diagonal).
#
# For BatchNorm, `BatchNorm1d(E)` wants its channels second, (N, E, L); a small module transposes the
# Transformer's (N, L, E) there and back, so the statistics of each feature are taken over all N * L
# tokens of the batch. No dropout anywhere, so the norm is the only thing that differs between training
# and eval mode.

# %%
class TokenBatchNorm(nn.Module):
    """BatchNorm1d over the feature channel of (N, L, E) tokens: each of the E features is normalised
    with its mean and variance over the N * L tokens of the batch (running statistics in eval mode).

    Example: ``TokenBatchNorm(64)(mg.randn(8, 16, 64)).shape == (8, 16, 64)``"""

    def __init__(self, features):
        super().__init__()
        self.norm = nn.BatchNorm1d(features)

    def forward(self, x):
        return self.norm(x.transpose(1, 2)).transpose(1, 2)


def make_norm(kind):
    return TokenBatchNorm(EMBED) if kind == "BatchNorm" else nn.LayerNorm(EMBED)


class LSTMModel(nn.Module):
    def __init__(self, vocabulary):
        super().__init__()
        self.embed = nn.Embedding(vocabulary, EMBED)
        self.lstm = nn.LSTM(EMBED, EMBED, num_layers=2, batch_first=True)
        self.head = nn.Linear(EMBED, vocabulary)

    def forward(self, x, state=None):
        """x (N, L) character ids -> logits (N, L, vocabulary) and the LSTM's state after them."""
        output, state = self.lstm(self.embed(x), state)
        return self.head(output), state


class CausalTransformer(nn.Module):
    def __init__(self, vocabulary, norm="LayerNorm"):
        super().__init__()
        self.embed = nn.Embedding(vocabulary, EMBED)
        self.position = nn.Embedding(CONTEXT, EMBED)
        layer = nn.TransformerEncoderLayer(EMBED, nhead=4, dim_feedforward=2 * EMBED, dropout=0.0,
                                           batch_first=True, norm_first=True)
        layer.norm1, layer.norm2 = make_norm(norm), make_norm(norm)
        self.encoder = nn.TransformerEncoder(layer, num_layers=2, enable_nested_tensor=False)
        self.norm = make_norm(norm)
        self.head = nn.Linear(EMBED, vocabulary)

    def forward(self, x, state=None):
        """x (N, L) character ids, L <= CONTEXT -> logits (N, L, vocabulary) (and None: no state)."""
        length = x.shape[1]
        h = self.embed(x) + self.position(mg.arange(length))
        mask = nn.Transformer.generate_square_subsequent_mask(length)
        return self.head(self.norm(self.encoder(h, mask=mask, is_causal=True))), None


def loss_of(model, x, y):
    logits, _ = model(x)
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))


def validation_loss(model, training_mode=False):
    """Mean cross-entropy per character on the validation windows, in eval mode, or in training mode
    (on a copy, so that BatchNorm's running statistics of the model stay as they are)."""
    model = copy.deepcopy(model).train() if training_mode else model.eval()
    with mg.no_grad():
        loss = np.mean([loss_of(model, x, y).item() for x, y in val_batches])
    model.train()
    return loss


def parameter_count(model):
    return sum(p.numel() for p in model.parameters())


# %% [markdown]
# ## Training
# Adam (lr 3e-3), gradients clipped to norm 1, STEPS steps of BATCH windows, the same batches for every
# model. Every EVAL_EVERY steps the validation loss is measured in eval mode, and in training mode too
# (the difference is BatchNorm's; for LayerNorm the two are the same computation).

# %%
def train(model, seed):
    rng = np.random.default_rng(seed)
    optimizer = optim.Adam(model.parameters(), lr=3e-3)
    history = {"loss": [], "eval_step": [], "val": [], "val_train_mode": []}
    for step in range(1, STEPS + 1):
        loss = loss_of(model, *windows(train_ids, rng.integers(0, len(train_ids) - CONTEXT - 1, BATCH)))
        optimizer.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        history["loss"].append(loss.item())
        if step % EVAL_EVERY == 0 or step == STEPS:
            history["eval_step"].append(step)
            history["val"].append(validation_loss(model))
            history["val_train_mode"].append(validation_loss(model, training_mode=True))
    return history


VOCABULARY = len(chars)
ARCHITECTURES = {"LSTM": lambda: LSTMModel(VOCABULARY),
                 "Transformer, LayerNorm": lambda: CausalTransformer(VOCABULARY),
                 "Transformer, BatchNorm": lambda: CausalTransformer(VOCABULARY, norm="BatchNorm")}
histories = {name: [] for name in ARCHITECTURES}
models = {}  # the models of the first seed, for the samples and the measurements below
for name, make in ARCHITECTURES.items():
    for seed in SEEDS:
        mg.manual_seed(seed)
        model = make()
        histories[name].append(train(model, seed))
        models.setdefault(name, model)


def final(name, key="val"):
    """The last validation loss (eval mode, or training mode with key="val_train_mode") of each seed."""
    return np.array([history[key][-1] for history in histories[name]])


print(f"after {STEPS} steps, over {len(SEEDS)} seed(s):")
for name in ARCHITECTURES:
    print(f"{name:<24} {parameter_count(models[name]):>6} parameters: validation loss {final(name).mean():.3f} "
          f"+- {final(name).std():.3f}, perplexity {np.exp(final(name)).mean():.3f} "
          f"(seeds: {', '.join(f'{p:.3f}' for p in np.exp(final(name)))})")

# %% [markdown]
# What a perfect model would reach: a sentence is a sequence of independent choices (singular or
# plural, the determiner, subject, verb, object, whether a phrase follows and which), so its entropy
# is the sum of theirs; per character, that is the lowest loss any model can have on this text (one
# that also counts the sentences of a line; a window of 64 characters cannot always, so a little above).

# %%
plural_entropy = -(0.4 * math.log(0.4) + 0.6 * math.log(0.6))
sentence_entropy = (plural_entropy + 0.6 * math.log(2) + 0.4 * math.log(3) + math.log(len(SUBJECTS))
                    + math.log(len(VERBS)) + math.log(len(OBJECTS)) + math.log(2) + 0.5 * math.log(len(PHRASES)))
entropy_floor = sentence_entropy / (len(train_text) / TRAIN_SENTENCES)
print(f"the text's entropy: {entropy_floor:.3f} nats per character, a perplexity of {math.exp(entropy_floor):.3f}")

# %% [markdown]
# ## LSTM against Transformer

# %%
COLORS = {"LSTM": "tab:green", "Transformer, LayerNorm": "tab:orange", "Transformer, BatchNorm": "tab:blue"}


def mean_over_seeds(name, key):
    return np.mean([history[key] for history in histories[name]], axis=0)


eval_steps = histories["LSTM"][0]["eval_step"]
fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4))
for name in ("LSTM", "Transformer, LayerNorm"):
    width = min(10, STEPS)
    left.plot(np.arange(width, STEPS + 1), smooth(mean_over_seeds(name, "loss"), width), color=COLORS[name],
              alpha=0.5, label=f"{name}: training (moving average)")
    left.plot(eval_steps, mean_over_seeds(name, "val"), "o-", color=COLORS[name], label=f"{name}: validation")
    right.plot(eval_steps, np.exp(mean_over_seeds(name, "val")), "o-", color=COLORS[name], label=name)
for axis in (left, right):
    axis.axhline(entropy_floor if axis is left else math.exp(entropy_floor), color="gray", linestyle=":",
                 label="the text's entropy (a perfect model)")
left.set(xlabel="step", ylabel=f"cross-entropy per character (mean of {len(SEEDS)} seeds)", title="loss")
right.set(xlabel="step", ylabel="validation perplexity", yscale="log", title="perplexity = exp(loss)")
left.legend(fontsize=8)
right.legend(fontsize=8)
save_figure(fig, "12_lstm_vs_transformer", args.quick)

# %% [markdown]
# Greedy generation: feed a prompt, then append the most likely next character, again and again. The
# LSTM carries its state forward and reads one new character per step; the Transformer reads its last
# CONTEXT characters again at each step (no cache of keys and values here).

# %%
def generate(model, prompt, length=120):
    model.eval()
    ids = list(encode(prompt))
    with mg.no_grad():
        logits, state = model(mg.tensor([ids[-CONTEXT:]]))
        for _ in range(length):
            ids.append(int(logits[0, -1].argmax()))
            if state is None:
                logits, _ = model(mg.tensor([ids[-CONTEXT:]]))
            else:
                logits, state = model(mg.tensor([ids[-1:]]), state)
    model.train()
    return decode(ids)


for name, model in models.items():
    print(f"{name} (greedy): {generate(model, 'the cats ')!r}")

# %% [markdown]
# ## BatchNorm in a Transformer
# BatchNorm normalises each feature with statistics over the batch; in a language model the batch is
# N * L tokens, and that breaks two things LayerNorm keeps:
# - **causality**: in training mode the statistics include the tokens after position t, so the
#   prediction at t depends (slightly) on the characters it is meant to predict;
# - **independence of the sequences**: the prediction for one sequence depends on the others in the
#   batch (and, in a batch of padded sequences, on the padding tokens, which enter the statistics
#   unless masked out by hand).
# In eval mode, BatchNorm uses running averages instead, so the model computes something else than it
# trained with. We measure both: how much the log-probabilities at the first half of each window change
# when the second half is replaced (causality), or when the other sequences of the batch are replaced,
# and the gap between the validation loss in training mode and in eval mode.

# %%
def largest_change(model, training_mode, edit):
    """Largest change of the log-probabilities in the first half of the first validation window when
    ``edit`` replaces tokens the first half must not depend on."""
    model = copy.deepcopy(model).train(training_mode)
    x = val_batches[0][0]
    edited = mg.tensor(edit(x.numpy().copy()))
    with mg.no_grad():
        before, after = (F.log_softmax(model(inputs)[0][0, :CONTEXT // 2], dim=-1).numpy() for inputs in (x, edited))
    return float(np.abs(before - after).max())


other_text = val_batches[1][0].numpy()  # other validation windows: real text, not noise


def replace_second_halves(x):
    x[:, CONTEXT // 2:] = other_text[:, CONTEXT // 2:]
    return x


def replace_other_sequences(x):
    x[1:] = other_text[1:]
    return x


print(f"\nvalidation loss after {STEPS} steps (mean over {len(SEEDS)} seed(s)), and the largest change of a "
      "log-probability in training mode (first seed):")
print(f"{'':<24} {'eval mode':>10} {'training mode':>14} {'future replaced':>16} {'others replaced':>16}")
for name in ("Transformer, LayerNorm", "Transformer, BatchNorm"):
    print(f"{name:<24} {final(name).mean():>10.4f} {final(name, 'val_train_mode').mean():>14.4f} "
          f"{largest_change(models[name], True, replace_second_halves):>16.2e} "
          f"{largest_change(models[name], True, replace_other_sequences):>16.2e}")
for name in ("Transformer, LayerNorm", "Transformer, BatchNorm"):
    print(f"{name}, eval mode: largest changes {largest_change(models[name], False, replace_second_halves):.2e} "
          f"and {largest_change(models[name], False, replace_other_sequences):.2e}")

fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4))
for name in ("Transformer, LayerNorm", "Transformer, BatchNorm"):
    for history in histories[name]:
        left.plot(eval_steps, np.exp(history["val"]), color=COLORS[name], alpha=0.3)
        right.plot(eval_steps, np.array(history["val_train_mode"]) - np.array(history["val"]), color=COLORS[name],
                   alpha=0.3)
    left.plot(eval_steps, np.exp(mean_over_seeds(name, "val")), "o-", color=COLORS[name], label=f"{name} (mean)")
    right.plot(eval_steps, mean_over_seeds(name, "val_train_mode") - mean_over_seeds(name, "val"), "o-",
               color=COLORS[name], label=f"{name} (mean)")
left.set(xlabel="step", ylabel="validation perplexity (eval mode)", yscale="log",
         title=f"LayerNorm vs BatchNorm ({len(SEEDS)} seed(s), thin: each seed)")
right.axhline(0, color="gray", linewidth=0.8)
right.set(xlabel="step", ylabel="training-mode minus eval-mode loss",
          title="what the mode changes (0 for LayerNorm)")
left.legend(fontsize=8)
right.legend(fontsize=8)
save_figure(fig, "12_layernorm_vs_batchnorm", args.quick)

# %% [markdown]
# ## What the runs show
# The verdicts below compare each difference with the spread across seeds: a difference counts only
# where one model is better on every seed.

# %%
def comparison(first, second, key="val"):
    a, b = final(first, key), final(second, key)
    better = first if a.max() < b.min() else second if b.max() < a.min() else None
    verdict = f"{better} is lower on every seed" if better else "within the seed-to-seed spread: no winner"
    return (f"{first} {a.mean():.4f} (perplexity {math.exp(a.mean()):.3f}) vs {second} {b.mean():.4f} "
            f"(perplexity {math.exp(b.mean()):.3f}): {verdict}")


gap = final("Transformer, BatchNorm", "val_train_mode") - final("Transformer, BatchNorm")
print_verdict([
    f"validation loss, LSTM vs Transformer: {comparison('LSTM', 'Transformer, LayerNorm')}",
    f"validation loss, LayerNorm vs BatchNorm: {comparison('Transformer, LayerNorm', 'Transformer, BatchNorm')}",
    f"BatchNorm, training-mode minus eval-mode validation loss: {gap.mean():+.4f} (seeds: "
    f"{', '.join(f'{g:+.4f}' for g in gap)}); LayerNorm: exactly 0",
    f"the text's entropy, {entropy_floor:.3f} (perplexity {math.exp(entropy_floor):.3f}), is what no model can beat",
], SEEDS)

# %% [markdown]
# From the full run (300 steps of 32 windows, 3 seeds, about 2.5 minutes on 2 busy cores):
#
# | model (300 steps, 3 seeds) | parameters | validation loss | perplexity (per seed)  |
# |----------------------------|------------|-----------------|------------------------|
# | LSTM, 2 layers             | 69,914     | 0.350 +- 0.005  | 1.430, 1.414, 1.414    |
# | Transformer, LayerNorm     | 74,522     | 0.384 +- 0.007  | 1.483, 1.466, 1.458    |
# | Transformer, BatchNorm     | 74,522     | 0.382 +- 0.004  | 1.471, 1.466, 1.456    |
# | the text's entropy         |            | 0.254           | 1.290                  |
#
# - **LSTM against Transformer**: the LSTM ends lower on every seed (perplexity 1.42 against 1.47),
#   and gets there faster; the Transformer leads for the first 50 steps. On this text the dependencies
#   are short (a sentence is 34 characters) and an LSTM's built-in order suits them; attention has to
#   learn order from the position embedding. Neither reaches the text's entropy in 300 steps. The
#   greedy samples show grammar learnt by both (subject-verb agreement: "the cats find", "the cat
#   follows"); greedy decoding sends the LSTM into a loop ("the cat follows the river." again and
#   again), the usual failure of always taking the most likely character. This is one small text and
#   a short budget: it says nothing about the large-data regime where Transformers win.
# - **LayerNorm against BatchNorm**: the validation perplexities are within the seed spread (1.469
#   against 1.465); BatchNorm over the tokens trains as well here.
# - **But BatchNorm breaks the model's contract in training mode.** Replacing the second half of a
#   window changes the log-probabilities in its first half by up to 0.7 (nats), and so does replacing
#   the other sequences of the batch: in training mode a prediction depends on characters it must not
#   see (the future, other sequences; with padded batches, the padding). With LayerNorm both changes
#   are exactly 0, and so are BatchNorm's in eval mode. The leak is spread over 2048 tokens, so it
#   barely moves the average loss: at the end, training mode and eval mode differ by at most 0.004 nats
#   (up to 0.011 during training), with either sign; with fewer tokens per batch each one weighs more
#   in the statistics. A model could learn to use the leak (these did not, measurably), and a generator
#   that runs in training mode, or a batch of one sequence, gets other numbers than eval mode.
#   LayerNorm, which normalises each token on its own, has none of these problems, which is why
#   Transformers use it.
