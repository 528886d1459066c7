"""Priors of the free parameters of a Bayesian calibration, declared in the targets file.

A targets file may carry a top-level ``priors:`` mapping, one entry per free parameter::

    priors:
      cases.dropout_hazard: {distribution: normal, mean: 0.1, sd: 0.02}
      training.annual_dropout: {distribution: beta, a: 2, b: 5}        # on low–high
      therapists.annual_turnover: {distribution: lognormal, median: 0.2, sigma: 0.4}
      decision.intercept: {distribution: uniform, low: -3, high: -1}

* ``uniform`` — ``low``, ``high``: flat between them;
* ``normal`` — ``mean``, ``sd``: Gaussian;
* ``lognormal`` — ``median``, ``sigma``: log(x) ~ N(log median, sigma²);
* ``beta`` — ``a``, ``b`` (and optionally ``low``, ``high``): Beta(a, b) stretched over
  low–high.

``low`` and ``high`` default to the free parameter's range (``--free NAME=LOW:HIGH``, else the
scenario's design range, else the schema's). Every location and bound must be a value the
schema allows for the parameter (checked by the shared override validator,
:func:`impl_sim.scenario.loader.validate_overrides`); every prior is *truncated* to the free
parameter's range, and a uniform or beta prior narrows the range to its own ``low``–``high``. A
free parameter without an entry keeps the default: uniform over its range; an entry for a
parameter the calibration does not free is not used (the command says so). Priors are used by
``impl-sim calibrate --method abc`` (prior draws of generation 0 and the importance weights);
``--method de`` searches the ranges and ignores them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np

from impl_sim.params import ParamError, param_spec
from impl_sim.scenario.loader import ScenarioError, validate_overrides
from impl_sim.textsafe import excerpt

if TYPE_CHECKING:  # pragma: no cover
    from impl_sim.analysis.calibration import FreeParameter

DISTRIBUTIONS: dict[str, tuple[str, ...]] = {
    "uniform": ("low", "high"),
    "normal": ("mean", "sd"),
    "lognormal": ("median", "sigma"),
    "beta": ("a", "b", "low", "high"),
}
REQUIRED: dict[str, tuple[str, ...]] = {
    "uniform": (), "normal": ("mean", "sd"), "lognormal": ("median", "sigma"),
    "beta": ("a", "b"),
}
POSITIVE = ("sd", "sigma", "a", "b")  # scale and shape settings: > 0
LOCATIONS = ("low", "high", "mean", "median")  # values of the parameter: in its schema range


class PriorError(ScenarioError):
    """A bad ``priors`` entry: names the file, the key, the bad value and what is allowed
    (one line, like every bad-input error; the CLI exits with status 2)."""


@dataclass(frozen=True)
class Prior:
    """One parameter's prior density, truncated to ``[low, high]``."""

    name: str
    distribution: str
    settings: tuple[tuple[str, float], ...]
    low: float
    high: float

    def _scipy(self) -> Any:
        from scipy import stats

        s = dict(self.settings)
        if self.distribution == "normal":
            return stats.norm(loc=s["mean"], scale=s["sd"])
        if self.distribution == "lognormal":
            return stats.lognorm(s=s["sigma"], scale=s["median"])
        if self.distribution == "beta":
            return stats.beta(s["a"], s["b"], loc=self.low, scale=self.high - self.low)
        return stats.uniform(loc=self.low, scale=self.high - self.low)

    def mass(self) -> float:
        """Prior probability inside ``[low, high]`` before truncation."""
        d = self._scipy()
        return float(d.cdf(self.high) - d.cdf(self.low))

    def sample(self, u: np.ndarray) -> np.ndarray:
        """Values for uniform(0, 1) numbers ``u`` (inverse CDF inside the truncation)."""
        d = self._scipy()
        lo, hi = d.cdf(self.low), d.cdf(self.high)
        return np.clip(d.ppf(lo + np.asarray(u) * (hi - lo)), self.low, self.high)

    def density(self, x: float) -> float:
        """Truncated density at ``x`` (0 outside ``[low, high]``)."""
        if not self.low <= x <= self.high:
            return 0.0
        return float(self._scipy().pdf(x)) / self.mass()

    def text(self) -> str:
        """``normal(mean=0.1, sd=0.02) on 0.02–0.3``; ``uniform on 0–1`` (no settings)."""
        shown = ", ".join(f"{k}={v:g}" for k, v in self.settings
                          if k not in ("low", "high"))
        settings = f"({shown})" if shown else ""
        return f"{self.distribution}{settings} on {self.low:g}–{self.high:g}"


def parse_priors(value: Any, source: str) -> dict[str, dict[str, Any]]:
    """Check a ``priors:`` mapping; returns ``{parameter: {distribution, settings…}}`` with
    numbers as floats. Raises :class:`PriorError` naming ``priors.NAME.KEY``."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise PriorError(source, "priors", f"{excerpt(value)} is not allowed; expected a mapping "
                         "of parameter: {distribution: " + "|".join(DISTRIBUTIONS) + ", ...}")
    out: dict[str, dict[str, Any]] = {}
    for name, entry in value.items():
        out[str(name)] = _parse_entry(str(name), entry, source)
    return out


def _parse_entry(name: str, entry: Any, source: str) -> dict[str, Any]:
    where = f"priors.{name}"
    try:
        spec = param_spec(name)
    except ParamError as exc:
        raise PriorError(source, where, f"unknown parameter{exc.hint}") from None
    if not spec.is_numeric or spec.min is None or spec.max is None:
        raise PriorError(source, where, f"{spec.type} parameters have no prior; expected a "
                         "number parameter with a range")
    if not isinstance(entry, Mapping):
        raise PriorError(source, where, f"{excerpt(entry)} is not allowed; expected a mapping "
                         "like {distribution: normal, mean: ..., sd: ...}")
    distribution = entry.get("distribution")
    if distribution not in DISTRIBUTIONS:
        raise PriorError(source, f"{where}.distribution", f"{excerpt(distribution)} is not "
                         "allowed; expected one of " + ", ".join(DISTRIBUTIONS))
    allowed = DISTRIBUTIONS[distribution]
    settings: dict[str, Any] = {"distribution": distribution}
    for key, raw in entry.items():
        if key == "distribution":
            continue
        if key not in allowed:
            raise PriorError(source, f"{where}.{key}", f"not a setting of a {distribution} "
                             f"prior; allowed: {', '.join(allowed)}")
        settings[key] = _number(source, f"{where}.{key}", raw, name, key)
    for key in REQUIRED[distribution]:
        if key not in settings:
            raise PriorError(source, f"{where}.{key}", f"missing; a {distribution} prior needs "
                             + ", ".join(REQUIRED[distribution]))
    if "low" in settings and "high" in settings and not settings["low"] < settings["high"]:
        raise PriorError(source, f"{where}.high", f"{settings['high']:g} is not allowed; "
                         f"expected a number above low ({settings['low']:g})")
    if distribution == "lognormal" and settings["median"] <= 0:
        raise PriorError(source, f"{where}.median", f"{settings['median']:g} is not allowed; "
                         "expected a number above 0 (a log-normal lives on positive values)")
    return settings


def _number(source: str, key: str, raw: Any, name: str, setting: str) -> float:
    if isinstance(raw, bool) or not isinstance(raw, int | float) or not math.isfinite(raw):
        raise PriorError(source, key, f"{excerpt(raw)} is not allowed; expected a finite "
                         "number")
    x = float(raw)
    if setting in POSITIVE and x <= 0:
        raise PriorError(source, key, f"{x:g} is not allowed; expected a number above 0")
    if setting in LOCATIONS:  # a value of the parameter: the schema's range decides
        value: float | int = round(x) if param_spec(name).type == "int" and x.is_integer() else x
        try:
            validate_overrides(source, "priors", {name: value})
        except ScenarioError as exc:
            raise PriorError(source, key, exc.problem) from None
    return x


def apply_priors(free: list[FreeParameter], priors: Mapping[str, Mapping[str, Any]],
                 source: str) -> tuple[list[FreeParameter], dict[str, Prior]]:
    """The free parameters with each uniform/beta prior's range laid over theirs, and a
    :class:`Prior` per free parameter (uniform over its range where none is declared). Priors
    of parameters that are not free are not used (:func:`unused_priors` names them)."""
    out_free, out_priors = [], {}
    for f in free:
        entry = dict(priors.get(f.name) or {"distribution": "uniform"})
        distribution = entry.pop("distribution")
        low, high = max(f.low, entry.get("low", f.low)), min(f.high, entry.get("high", f.high))
        if not low < high:
            raise PriorError(source, f"priors.{f.name}", f"its range {entry.get('low', f.low):g}"
                             f"–{entry.get('high', f.high):g} does not overlap the free range "
                             f"{f.low:g}–{f.high:g}")
        settings = tuple(sorted((k, float(v)) for k, v in entry.items()))
        prior = Prior(f.name, distribution, settings, low, high)
        if prior.mass() < 1e-9:
            raise PriorError(source, f"priors.{f.name}", f"{prior.text()} puts no probability "
                             f"on the free range {f.low:g}–{f.high:g}")
        out_free.append(replace(f, low=low, high=high))
        out_priors[f.name] = prior
    return out_free, out_priors


def unused_priors(free: list[FreeParameter], priors: Mapping[str, Any]) -> list[str]:
    """Parameters with a declared prior that this calibration does not free."""
    names = {f.name for f in free}
    return [name for name in priors if name not in names]
