r"""rnnedu — recurrent neural networks and backpropagation through time, derived and checked.

Every public function implements one equation of one lesson (``notebooks/``); its docstring quotes
the equation, names the lesson and lists the shapes. Every derivative is checked against central
finite differences in float64 (:func:`rnnedu.numerical_gradient`), in ``tests/`` and in the lesson.

One notation
------------
Row vectors, batch first inside a step, time-major sequences::

    h_t   = φ(x_t W_xh + h_{t-1} W_hh + b_h)      # hidden state
    o_t   = h_t W_hy + b_y                        # logits
    ŷ_t   = softmax(o_t)                          # probabilities

Shapes (letters used in every docstring):

    ======  ==========  ================================]

    name    shape       meaning
    ======  ==========  ================================]

    x_t     (B, D)      input at step t, B examples, D features
    h_t     (B, H)      hidden state, H units
    o_t     (B, K)      logits over K classes (K = V, the vocabulary, for a language model)
    W_xh    (D, H)      input-to-hidden weights
    W_hh    (H, H)      hidden-to-hidden weights
    W_hy    (H, K)      hidden-to-output weights
    b_h     (H,)        hidden bias;  b_y (K,) output bias
    xs      (T, B, D)   a sequence, time-major; token ids are (T, B)
    ======  ==========  ================================]


The gradient of a quantity ``W`` is named ``dW`` and has ``W``'s shape. A column-vector note
(``h_t = U x_t + W h_{t-1}``) maps onto this by transposition: ``U = W_xhᵀ``, ``W = W_hhᵀ``, ``V = W_hyᵀ``;
each lesson has a table for its note.
"""

from rnnedu.activations import ACTIVATIONS, activation_derivative, apply_activation
from rnnedu.gradcheck import (
    GradCheck,
    below,
    check_gradient,
    error_bound,
    format_power,
    numerical_gradient,
    relative_error,
)
from rnnedu.softmax import (
    cross_entropy,
    cross_entropy_delta,
    log_softmax,
    softmax,
    softmax_jacobian,
)

__version__ = "0.1.0"

__all__ = [
    "ACTIVATIONS",
    "GradCheck",
    "activation_derivative",
    "below",
    "apply_activation",
    "check_gradient",
    "cross_entropy",
    "cross_entropy_delta",
    "error_bound",
    "format_power",
    "log_softmax",
    "numerical_gradient",
    "relative_error",
    "softmax",
    "softmax_jacobian",
]

# --- lessons 2–9 add their exports below, one block per module --------------------------------
# lessons 4–5: the RNN forward pass and BPTT (rnnedu/rnn.py)
from rnnedu.rnn import (  # noqa: E402
    BPTTContributions,
    BPTTTrace,
    bptt_contributions,
    bptt_double_sum,
    bptt_trace,
    concatenated_step,
    cross_entropy_head,
    hidden_jacobians,
    init_rnn_params,
    rnn_backward,
    rnn_forward,
    rnn_loss_and_grads,
    rnn_step,
    split_concatenated_weights,
    sum_recurrence_params,
    truncated_window_loss,
    truncation_mask,
)

__all__ += [
    "BPTTContributions",
    "BPTTTrace",
    "bptt_contributions",
    "bptt_double_sum",
    "bptt_trace",
    "concatenated_step",
    "cross_entropy_head",
    "hidden_jacobians",
    "init_rnn_params",
    "rnn_backward",
    "rnn_forward",
    "rnn_loss_and_grads",
    "rnn_step",
    "split_concatenated_weights",
    "sum_recurrence_params",
    "truncated_window_loss",
    "truncation_mask",
]

# lesson 7: training loop (rnnedu/train.py, shared with lessons 8–9), tasks, the GRU
from rnnedu.train import (  # noqa: E402
    SGD,
    Adam,
    History,
    clip_grad_norm,
    clip_grad_value,
    fit,
    global_norm,
    gradient_cosine,
    load_checkpoint,
    save_checkpoint,
)
from rnnedu.gated import (  # noqa: E402
    GRUCache,
    gru_backward,
    gru_forward,
    gru_jacobian_norms,
    gru_step_jacobians,
    init_gru_params,
)
from rnnedu.tasks import (  # noqa: E402
    ADDING_BASELINE_MSE,
    TaskRun,
    adding_baseline_mse,
    adding_problem,
    copy_baseline,
    copy_memoryless_logits,
    copy_task,
    init_model,
    last_step_mse,
    model_loss_and_grads,
    run_task,
    sequence_cross_entropy,
)

__all__ += [
    "SGD", "Adam", "History", "clip_grad_norm", "clip_grad_value", "fit", "global_norm",
    "gradient_cosine", "load_checkpoint", "save_checkpoint",
    "GRUCache", "gru_backward", "gru_forward", "gru_jacobian_norms", "gru_step_jacobians", "init_gru_params",
    "ADDING_BASELINE_MSE", "TaskRun", "adding_baseline_mse", "adding_problem", "copy_baseline",
    "copy_memoryless_logits", "copy_task",
    "init_model", "last_step_mse", "model_loss_and_grads", "run_task", "sequence_cross_entropy",
]

# lesson 7: the LSTM (rnnedu/lstm.py)
from rnnedu.lstm import (  # noqa: E402
    LSTMCache,
    carousel_product,
    init_lstm_params,
    lstm_backward,
    lstm_forward,
    lstm_jacobian_norms,
    lstm_step_jacobians,
)

__all__ += ["LSTMCache", "carousel_product", "init_lstm_params", "lstm_backward", "lstm_forward",
            "lstm_jacobian_norms", "lstm_step_jacobians"]

# lessons 2–3: the MLP delta rule (rnnedu/mlp.py), Werbos' ordered derivatives (rnnedu/ordered.py), toy data
from rnnedu.mlp import (  # noqa: E402
    MLP,
    MLPCache,
    MLPGradients,
    TrainingRun,
    hidden_delta,
    init_mlp,
    loss_from_cache,
    loss_from_preactivation,
    mlp_backward,
    mlp_forward,
    mlp_loss,
    mlp_predict,
    output_delta,
    train_mlp,
    weight_gradient,
    with_parameter,
)
from rnnedu.ordered import (  # noqa: E402
    OrderedResult,
    OrderedStep,
    OrderedSystem,
    Variable,
    note_cost,
    numerical_ordered_derivative,
    numerical_partial,
    ordered_derivatives,
    scalar_rnn_system,
    werbos_example,
)
from rnnedu.toydata import two_spirals  # noqa: E402

__all__ += [
    "MLP", "MLPCache", "MLPGradients", "TrainingRun", "hidden_delta", "init_mlp", "loss_from_cache",
    "loss_from_preactivation", "mlp_backward", "mlp_forward", "mlp_loss", "mlp_predict",
    "output_delta", "train_mlp", "weight_gradient",
    "with_parameter",
    "OrderedResult", "OrderedStep", "OrderedSystem", "Variable", "note_cost", "numerical_ordered_derivative",
    "numerical_partial", "ordered_derivatives", "scalar_rnn_system", "werbos_example",
    "two_spirals",
]

# lessons 8–9: character-level RNNs — names by language, corpus, vocabulary, batches (rnnedu/data.py),
# the classifier heads and the language model's sampling (rnnedu/charrnn.py)
from rnnedu import data  # noqa: E402
from rnnedu.data import (  # noqa: E402
    LMBatch,
    NameBatch,
    NameBatches,
    NamesDataset,
    RandomBatches,
    SequentialBatches,
    Vocab,
    encode_names,
    load_corpus,
    load_names,
    one_hot,
    train_test_split,
)
from rnnedu.charrnn import (  # noqa: E402
    LanguageModelLoss,
    PerplexityMonitor,
    accuracy,
    confusion_matrix,
    init_classifier_params,
    init_note_params,
    last_states,
    lm_loss_and_grads,
    majority_baseline,
    next_char_distribution,
    note_classifier_logits,
    note_classifier_loss,
    note_objective_as_written,
    perplexity,
    predict_proba,
    rnn_classifier_logits,
    rnn_classifier_loss,
    sample,
    top_k,
)

__all__ += [
    "data", "LMBatch", "NameBatch", "NameBatches", "NamesDataset", "RandomBatches", "SequentialBatches",
    "Vocab", "encode_names", "load_corpus", "load_names", "one_hot", "train_test_split",
    "LanguageModelLoss", "PerplexityMonitor", "accuracy", "confusion_matrix", "init_classifier_params", "init_note_params",
    "last_states", "lm_loss_and_grads", "majority_baseline", "next_char_distribution",
    "note_classifier_logits", "note_classifier_loss", "note_objective_as_written", "perplexity",
    "predict_proba", "rnn_classifier_logits", "rnn_classifier_loss", "sample", "top_k",
]

# --- lesson 6: vanishing and exploding gradients (rnnedu.decay) ---
from rnnedu import decay  # noqa: E402
from rnnedu.decay import (  # noqa: E402
    DecayProfile,
    classify_regime,
    decay_profile,
    driven_preactivations,
    init_recurrent,
    jacobian_norms,
    jacobian_product,
    non_normal_matrix,
    pascanu_bound,
    phase_diagram,
    scalar_decay,
    step_jacobian,
)

__all__ += [
    "decay", "DecayProfile", "classify_regime", "decay_profile", "driven_preactivations", "init_recurrent",
    "jacobian_norms", "jacobian_product", "non_normal_matrix", "pascanu_bound", "phase_diagram",
    "scalar_decay", "step_jacobian",
]

# --- lesson 5: the bias of truncated BPTT and randomised truncation (rnnedu.truncation) ---
from rnnedu import truncation  # noqa: E402
from rnnedu.truncation import (  # noqa: E402
    draw_truncation_weights,
    randomized_truncation_mean,
    rnn_backward_weighted,
    scaled_path_loss,
    truncation_bias,
)

__all__ += [
    "truncation", "draw_truncation_weights", "randomized_truncation_mean", "rnn_backward_weighted",
    "scaled_path_loss", "truncation_bias",
]

# lesson 10: the capstone — min-char-rnn's loss function, clipping, Adagrad and loop (rnnedu/capstone.py)
from rnnedu import capstone  # noqa: E402
from rnnedu.capstone import (  # noqa: E402
    CharRNNRun,
    adagrad_step,
    char_rnn_loss,
    clip_by_global_norm,
    from_min_char_rnn,
    min_char_rnn_lossfun,
    to_min_char_rnn,
    train_char_rnn,
)

__all__ += [
    "capstone", "CharRNNRun", "adagrad_step", "char_rnn_loss", "clip_by_global_norm", "from_min_char_rnn",
    "min_char_rnn_lossfun", "to_min_char_rnn", "train_char_rnn",
]
