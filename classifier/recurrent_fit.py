"""Fitting the sequence stage (:class:`~classifier.recurrent.RecurrentStage`) with PyTorch.

Training only: ``pip install "storyfilter[sequence]"``. The network is trained on whole
pages (the context rows of every block, in order), in batches of pages of similar length,
with the blocks' weights in the loss, then copied into numpy arrays; scoring never
imports PyTorch.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .errors import MissingExtraError
from .recurrent import RecurrentStage

#: Pages a batch holds, and the longest run of blocks a page gives one training step.
BATCH_PAGES = 16
MAX_TRAINING_BLOCKS = 4000


def require_torch():
    """PyTorch, or a :class:`MissingExtraError` that says which extra installs it."""
    try:
        import torch
    except ImportError:  # pragma: no cover - the error a user without the extra sees
        raise MissingExtraError("the sequence stage (stage2_gru) is trained with PyTorch: "
                                'pip install "storyfilter[sequence]"') from None
    return torch


def _network(torch, n_columns: int, hidden: int):
    nn = torch.nn

    class Network(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.dense = nn.Linear(n_columns, hidden)
            self.gru = nn.GRU(hidden, hidden, batch_first=True, bidirectional=True)
            self.out = nn.Linear(2 * hidden + n_columns, 1)

        def forward(self, x, lengths):
            u = torch.tanh(self.dense(x))
            packed = nn.utils.rnn.pack_padded_sequence(u, lengths, batch_first=True, enforce_sorted=False)
            states, _ = self.gru(packed)
            states, _ = nn.utils.rnn.pad_packed_sequence(states, batch_first=True, total_length=x.shape[1])
            return self.out(torch.cat([states, x], dim=-1)).squeeze(-1)

    return Network()


def _batches(lengths: np.ndarray, rng: np.random.Generator) -> list[np.ndarray]:
    """Pages in batches of similar length (little padding), the batches in a random order."""
    order = np.argsort(lengths + rng.random(len(lengths)), kind="stable")
    batches = [order[i:i + BATCH_PAGES] for i in range(0, len(order), BATCH_PAGES)]
    return [batches[i] for i in rng.permutation(len(batches))]


def fit_recurrent(pages: Sequence[np.ndarray], labels: Sequence[np.ndarray], weights: Sequence[np.ndarray],
                  hidden: int = 32, epochs: int = 12, learning_rate: float = 0.003,
                  seed: int | None = 0) -> RecurrentStage:
    """Fit the network on pages of context rows (``L x d`` each), 0/1 labels and block weights."""
    return to_numpy(fit_network(pages, labels, weights, hidden, epochs, learning_rate, seed))


def fit_network(pages: Sequence[np.ndarray], labels: Sequence[np.ndarray], weights: Sequence[np.ndarray],
                hidden: int = 32, epochs: int = 12, learning_rate: float = 0.003, seed: int | None = 0):
    """The fitted PyTorch network (in float64) behind :func:`fit_recurrent`."""
    torch = require_torch()
    kept = [i for i, page in enumerate(pages) if len(page)]  # a page without blocks teaches nothing
    if not kept:
        raise ValueError("the sequence stage needs at least one page with blocks")
    pages, labels, weights = ([values[i] for i in kept] for values in (pages, labels, weights))
    n_columns = pages[0].shape[1]
    rng = np.random.default_rng(seed)
    lengths = np.array([len(p) for p in pages])
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # small matrices: threads cost more than they give, and folds run in parallel
    try:
        with torch.random.fork_rng():
            torch.manual_seed(int(rng.integers(2**31)))
            network = _network(torch, n_columns, hidden).double()
            optimizer = torch.optim.Adam(network.parameters(), lr=learning_rate)
            for _ in range(epochs):
                for batch in _batches(lengths, rng):
                    x, y, w, size = _padded(torch, [pages[i] for i in batch], [labels[i] for i in batch],
                                            [weights[i] for i in batch], rng)
                    loss = torch.nn.functional.binary_cross_entropy_with_logits(
                        network(x, size), y, weight=w, reduction="sum") / w.sum().clamp_min(1e-12)
                    optimizer.zero_grad()
                    loss.backward()
                    optimizer.step()
    finally:
        torch.set_num_threads(threads)
    return network


def _padded(torch, pages, labels, weights, rng: np.random.Generator):
    """One batch as padded tensors (padding weighs nothing); pages over ``MAX_TRAINING_BLOCKS``
    give a random window of that many blocks."""
    windows = []
    for page in pages:
        start = int(rng.integers(len(page) - MAX_TRAINING_BLOCKS + 1)) if len(page) > MAX_TRAINING_BLOCKS else 0
        windows.append(slice(start, start + MAX_TRAINING_BLOCKS))
    size = [len(p[s]) for p, s in zip(pages, windows)]
    longest, n_columns = max(size), pages[0].shape[1]
    x = np.zeros((len(pages), longest, n_columns))
    y = np.zeros((len(pages), longest))
    w = np.zeros((len(pages), longest))
    for i, (page, label, weight, window) in enumerate(zip(pages, labels, weights, windows)):
        n = size[i]
        x[i, :n], y[i, :n], w[i, :n] = page[window], label[window], weight[window]
    return torch.from_numpy(x), torch.from_numpy(y), torch.from_numpy(w), torch.tensor(size)


def to_numpy(network) -> RecurrentStage:
    """The weights of a fitted network as the numpy stage that scores with them."""
    def array(tensor) -> np.ndarray:
        return tensor.detach().cpu().numpy().astype(np.float64).copy()

    gru = network.gru
    return RecurrentStage(
        array(network.dense.weight), array(network.dense.bias),
        array(gru.weight_ih_l0), array(gru.weight_hh_l0), array(gru.bias_ih_l0), array(gru.bias_hh_l0),
        array(gru.weight_ih_l0_reverse), array(gru.weight_hh_l0_reverse),
        array(gru.bias_ih_l0_reverse), array(gru.bias_hh_l0_reverse),
        array(network.out.weight).ravel(), array(network.out.bias))

