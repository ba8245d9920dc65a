"""Trajectory weighting: return- and advantage-weighted sampling probabilities, and the RPSV.

envsuite/metrics: dataset metrics; imported by envsuite.data and datagen; imports no family.

Source: Hong, Agrawal, Tachet des Combes & Laroche, "Harnessing Mixed Offline Reinforcement
Learning Datasets via Trajectory Weighting" (ICLR 2023), where RW, AW and the RPSV are defined;
Hong, Kumar et al., "Beyond Uniform Sampling: Offline RL with Imbalanced Datasets" (NeurIPS 2023)
uses RW/AW as its sampling baselines and RPSV to describe how imbalanced a dataset is.

Definitions, for a dataset of E episodes with returns G_i, lengths T_i and initial observations s0_i:

    Ĝ_i = (G_i - min_j G_j) / (max_j G_j - min_j G_j)       min-max normalised return in [0, 1]
                                                             (all Ĝ_i = 0 when every return is equal)
    RW:  p(s_t^i, a_t^i) = exp(Ĝ_i / α) / Σ_j T_j exp(Ĝ_j / α)
    AW:  p(s_t^i, a_t^i) = exp(Â_i / α) / Σ_j T_j exp(Â_j / α),   Â_i = Ĝ_i - V̂(s0_i)
         with V̂ the affine least-squares fit of Ĝ on the initial observation (V̂(s) = w·s + b)
    RPSV = (1/E) Σ_i ((Ĝ_i - mean_j Ĝ_j)_+)^2                   positive-sided variance

Every transition of episode i gets the same probability, so an episode's total share is
proportional to T_i exp(score_i / α); the probabilities of all transitions sum to 1. α is the
temperature (0.1 in both papers): small α concentrates sampling on the best episodes, large α tends
to uniform sampling. The authors' code (github.com/Improbable-AI/harness-offline-rl) fits V on the
raw returns and then min-max normalises the advantages before the softmax; here the advantage is
that of the normalised return, as defined above (it equals the raw-return advantage divided by
max G - min G, since a least-squares fit commutes with that affine map).
"""

from __future__ import annotations

import numpy as np

from envsuite._numba_cache import njit
from envsuite.metrics._validation import as_1d_float64, as_1d_int64, as_finite_float, as_rows, require_finite

DEFAULT_TEMPERATURE = 0.1
"""The temperature α used by Hong et al. for both RW and AW."""


@njit(cache=True)
def _transition_probabilities_kernel(episode_scores, lengths, temperature):
    # Softmax over transitions where all transitions of an episode share its score. Subtracting the
    # largest score first keeps every exp() in (0, 1] with the best episode at exactly 1, so the
    # normaliser is >= 1 and neither overflows nor underflows to zero. Serial: writing N floats is
    # memory-bound and threads would not pay for their start-up.
    n_episodes = episode_scores.shape[0]
    best_score = -np.inf
    for episode in range(n_episodes):
        best_score = max(best_score, episode_scores[episode])
    episode_weights = np.empty(n_episodes, dtype=np.float64)
    normaliser = 0.0
    n_transitions = 0
    for episode in range(n_episodes):
        episode_weights[episode] = np.exp((episode_scores[episode] - best_score) / temperature)
        normaliser += lengths[episode] * episode_weights[episode]
        n_transitions += lengths[episode]
    probabilities = np.empty(n_transitions, dtype=np.float64)
    step = 0
    for episode in range(n_episodes):
        probability = episode_weights[episode] / normaliser
        for _ in range(lengths[episode]):
            probabilities[step] = probability
            step += 1
    return probabilities


@njit(cache=True)
def _positive_sided_variance_kernel(normalised_returns):
    n_episodes = normalised_returns.shape[0]
    mean = 0.0
    for value in normalised_returns:
        mean += value
    mean /= n_episodes
    total = 0.0
    for value in normalised_returns:
        above = value - mean
        if above > 0.0:
            total += above * above
    return total / n_episodes


def _checked_returns(returns) -> np.ndarray:
    values = as_1d_float64("returns", returns)
    require_finite("returns", values)
    return values


def _min_max_normalised(returns: np.ndarray) -> np.ndarray:
    """Ĝ: returns mapped to [0, 1]; all zeros when every return is equal (no episode is better)."""
    if returns.size == 0:
        return returns.copy()
    lowest = returns.min()
    highest = returns.max()
    if highest == lowest:
        return np.zeros_like(returns)
    with np.errstate(over="ignore"):
        span = highest - lowest
    if not np.isfinite(span):
        # The range of returns near +-1.8e308 overflows; halving everything first cannot.
        return (returns / 2 - lowest / 2) / (highest / 2 - lowest / 2)
    return (returns - lowest) / span


def _checked_lengths(lengths, n_episodes: int) -> np.ndarray:
    episode_lengths = as_1d_int64("lengths", lengths)
    if episode_lengths.shape[0] != n_episodes:
        raise ValueError(
            f"lengths must give one length per episode return ({n_episodes}), got {episode_lengths.shape[0]}."
        )
    if n_episodes and episode_lengths.min() < 1:
        episode = int(np.argmin(episode_lengths))
        raise ValueError(
            f"every episode needs at least one transition to be sampled, but lengths[{episode}] = "
            f"{episode_lengths[episode]}."
        )
    return episode_lengths


def _checked_temperature(temperature) -> float:
    value = as_finite_float("temperature", temperature)
    if value <= 0.0:
        raise ValueError(f"temperature must be > 0 (0.1 in Hong et al.), got {value!r}.")
    return value


def return_weighted_probabilities(returns, lengths, temperature: float = DEFAULT_TEMPERATURE) -> np.ndarray:
    """RW sampling probability of every transition: `exp(Ĝ_i / α) / Σ_j T_j exp(Ĝ_j / α)`.

    Args:
        returns: (E,) finite episode returns G_i.
        lengths: (E,) integer episode lengths T_i >= 1, in the same order as the transitions.
        temperature: α > 0.

    Returns:
        float64 array of shape (sum(lengths),), transitions in dataset order, summing to 1. Equal
        returns give uniform probabilities. No episodes give an empty array. See the module
        docstring for the definitions (Hong et al. 2023).
    """
    normalised = _min_max_normalised(_checked_returns(returns))
    episode_lengths = _checked_lengths(lengths, normalised.shape[0])
    alpha = _checked_temperature(temperature)
    return _transition_probabilities_kernel(normalised, episode_lengths, alpha)


def episode_advantages(returns, initial_observations) -> np.ndarray:
    """Â_i = Ĝ_i - V̂(s0_i), V̂ the affine least-squares fit of the normalised returns on s0.

    With as many episodes as fitted parameters (E <= D + 1) the fit interpolates and every
    advantage is 0 up to rounding; identical initial observations make V̂ the mean of Ĝ.
    """
    normalised = _min_max_normalised(_checked_returns(returns))
    observations = as_rows("initial_observations", initial_observations)
    if observations.shape[0] != normalised.shape[0]:
        raise ValueError(
            f"initial_observations must have one row per episode ({normalised.shape[0]}), got "
            f"{observations.shape[0]}."
        )
    if not (np.issubdtype(observations.dtype, np.number) or observations.dtype == np.bool_):
        raise ValueError(f"initial_observations must be numeric, got dtype {observations.dtype}.")
    observations = np.asarray(observations, dtype=np.float64)
    require_finite("initial_observations", observations)
    if normalised.size == 0:
        return normalised
    # Centring the observations makes the intercept column orthogonal to the others, which keeps
    # the least-squares problem well conditioned when observations have large offsets.
    design = np.empty((observations.shape[0], observations.shape[1] + 1), dtype=np.float64)
    design[:, :-1] = observations - observations.mean(axis=0)
    design[:, -1] = 1.0
    coefficients, *_ = np.linalg.lstsq(design, normalised, rcond=None)
    return normalised - design @ coefficients


def advantage_weighted_probabilities(
    returns, lengths, initial_observations, temperature: float = DEFAULT_TEMPERATURE
) -> np.ndarray:
    """AW sampling probability of every transition: `exp(Â_i / α) / Σ_j T_j exp(Â_j / α)`.

    Args:
        returns: (E,) finite episode returns G_i.
        lengths: (E,) integer episode lengths T_i >= 1, in the same order as the transitions.
        initial_observations: (E, D) first observation of every episode (1-D is one column, trailing
            dims are flattened), finite.
        temperature: α > 0.

    Returns:
        float64 array of shape (sum(lengths),), transitions in dataset order, summing to 1.
        See `episode_advantages` and the module docstring for the definitions (Hong et al. 2023).
    """
    advantages = episode_advantages(returns, initial_observations)
    episode_lengths = _checked_lengths(lengths, advantages.shape[0])
    alpha = _checked_temperature(temperature)
    return _transition_probabilities_kernel(advantages, episode_lengths, alpha)


def positive_sided_variance(returns) -> float:
    """RPSV: `mean_i ((Ĝ_i - mean Ĝ)_+)^2` of the min-max normalised episode returns.

    Large when a few episodes return much more than the average, i.e. when reweighting toward them
    has room to improve on the behavior policy (Hong et al. 2023). In [0, 0.25]; 0 for equal returns.
    ValueError for no episodes or NaN/inf returns.
    """
    values = _checked_returns(returns)
    if values.size == 0:
        raise ValueError("positive_sided_variance needs at least one episode return, got none.")
    return float(_positive_sided_variance_kernel(_min_max_normalised(values)))
