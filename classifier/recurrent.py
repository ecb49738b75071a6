"""A second stage that reads the page as a sequence: a bidirectional GRU, scored with numpy.

The linear context stage sees each block through a fixed window and fixed summaries of
its page. In plain text, where the order of the lines is all there is, a model that reads
the whole run of lines before and after a block can see where a story ends and a list of
other stories' headlines begins however long either is (what it bought and cost on
wcxb-dev: docs/experiments.md, Rounds 21 and 23). Training fits it with
PyTorch (:mod:`classifier.recurrent_fit`); a model file stores its weights as plain arrays
and :class:`RecurrentStage` scores a page with a few numpy products per block, so scoring
never imports PyTorch.

The network, per page of ``L`` blocks whose context rows are ``X`` (``L x d``, scaled,
with the linear context logit as the last column): a dense layer ``u = tanh(X W0' + b0)``,
a GRU over ``u`` forwards and one backwards (PyTorch's gate order and equations), and a
logistic output over both GRU states and ``X``.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

#: Array names in a model file, after the ``stage2_gru_`` prefix.
RECURRENT_ARRAYS = ("dense_weight", "dense_bias", "forward_input", "forward_hidden", "forward_input_bias",
                    "forward_hidden_bias", "backward_input", "backward_hidden", "backward_input_bias",
                    "backward_hidden_bias", "output_weight", "output_bias")


class RecurrentStage(NamedTuple):
    """The weights of the network, in PyTorch's layout (gates ``r, z, n`` stacked by rows)."""

    dense_weight: np.ndarray  # (E, d)
    dense_bias: np.ndarray  # (E,)
    forward_input: np.ndarray  # (3H, E)
    forward_hidden: np.ndarray  # (3H, H)
    forward_input_bias: np.ndarray  # (3H,)
    forward_hidden_bias: np.ndarray  # (3H,)
    backward_input: np.ndarray
    backward_hidden: np.ndarray
    backward_input_bias: np.ndarray
    backward_hidden_bias: np.ndarray
    output_weight: np.ndarray  # (2H + d,)
    output_bias: np.ndarray  # (1,)

    @property
    def hidden(self) -> int:
        return self.forward_hidden.shape[1]

    def decision(self, X: np.ndarray) -> np.ndarray:
        """Logits of one page's blocks, in order, from its context rows ``X`` (``L x d``)."""
        X = np.asarray(X, dtype=np.float64)
        if len(X) == 0:
            return np.zeros(0)
        u = np.tanh(X @ self.dense_weight.T + self.dense_bias)
        forward, backward = self._run(u @ self.forward_input.T + self.forward_input_bias,
                                      u @ self.backward_input.T + self.backward_input_bias)
        H = self.hidden
        w = self.output_weight
        return forward @ w[:H] + backward @ w[H:2 * H] + X @ w[2 * H:] + self.output_bias[0]

    def _run(self, forward_input: np.ndarray, backward_input: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Both directions' GRU states over pre-projected inputs (``L x 3H`` each), from zeros.

        The two directions step together (the forward one at ``t``, the backward one at
        ``L - 1 - t``) through one block-diagonal product a step: a page costs ``L`` small
        steps, not ``2 L``."""
        L, H = len(forward_input), self.hidden
        weight = np.zeros((2 * H, 6 * H))
        weight[:H, :3 * H] = self.forward_hidden.T
        weight[H:, 3 * H:] = self.backward_hidden.T
        bias = np.concatenate([self.forward_hidden_bias, self.backward_hidden_bias]).reshape(2, 3 * H)
        inputs = np.stack([forward_input, backward_input[::-1]], axis=1)  # (L, 2, 3H)
        states = np.empty((L, 2, H))
        h = np.zeros((2, H))
        for t in range(L):
            g = (h.reshape(-1) @ weight).reshape(2, 3 * H) + bias
            x = inputs[t]
            rz = 0.5 + 0.5 * np.tanh(0.5 * (x[:, :2 * H] + g[:, :2 * H]))  # the sigmoid, without overflow
            n = np.tanh(x[:, 2 * H:] + rz[:, :H] * g[:, 2 * H:])
            h = n + rz[:, H:] * (h - n)
            states[t] = h
        return states[:, 0], states[::-1, 1]

    def to_arrays(self, prefix: str) -> dict[str, np.ndarray]:
        return {prefix + name: np.asarray(value, dtype=np.float64) for name, value in zip(RECURRENT_ARRAYS, self)}

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray], prefix: str, n_columns: int) -> "RecurrentStage":
        """The network stored under ``prefix`` for ``n_columns`` input columns; ValueError if the
        arrays do not form one."""
        try:
            parts = [np.asarray(arrays[prefix + name], dtype=np.float64) for name in RECURRENT_ARRAYS]
        except KeyError as missing:
            raise ValueError(f"the model's sequence stage lacks {missing}") from None
        stage = cls(*parts)
        E = stage.dense_bias.shape[0] if stage.dense_bias.ndim == 1 else -1
        H = stage.forward_hidden.shape[1] if stage.forward_hidden.ndim == 2 else -1
        expected = {"dense_weight": (E, n_columns), "dense_bias": (E,),
                    "output_weight": (2 * H + n_columns,), "output_bias": (1,)}
        for side in ("forward", "backward"):
            expected.update({f"{side}_input": (3 * H, E), f"{side}_hidden": (3 * H, H),
                             f"{side}_input_bias": (3 * H,), f"{side}_hidden_bias": (3 * H,)})
        if E < 1 or H < 1 or any(getattr(stage, name).shape != shape for name, shape in expected.items()):
            raise ValueError("the model's sequence stage has arrays that do not fit together")
        if not all(np.isfinite(part).all() for part in parts):
            raise ValueError("the model's sequence stage holds NaN or infinite values")
        return stage
