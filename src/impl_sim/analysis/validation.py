"""Targets (what studies have seen) vs the simulation: load, simulate, judge.

A targets file is YAML::

    name: evidence
    defaults:                       # optional; apply to every target
      replications: 10              # default: impl_sim.defaults.DEFAULT_REPLICATIONS
      seed: 7                       # default: impl_sim.defaults.DEFAULT_SEED
      horizon_months: 48            # default: the schema's simulation.horizon_months
      base: {services.count: 4}
    targets:
      - id: S1
        role: validation            # calibration | validation (default validation)
        source: seed 000 theme 4; Williams et al. 2020
        description: Implementation leadership sustains far more than passive support
        arms:                       # the setting: inline base/arms/strategies, or scenario: FILE
          passive: {leaders.style: passive_support}
          leadership: {leaders.style: implementation_leadership}
        outcome: sustainment_24m
        compare: difference         # value | difference | ratio | inverted_u | largest
        arm: leadership
        reference: passive
        direction: greater          # or band: [lo, hi], or value: x (+ tolerance)
        than: 0.15

*Quantities.* ``outcome`` is an outcome name (:data:`impl_sim.model.outcomes.OUTCOMES`), a series at
a month (``sustainment@training_end+12``, ``climate@40``; :data:`~impl_sim.model.outcomes.SERIES`),
a survival quantity of a duration (:data:`impl_sim.analysis.survival.DURATIONS`) — its median
``median(delivering_leaving_censored)`` (months) or the share not yet ended N months after the
origin ``survival_at(service_delivering_after_startup, 24)`` — estimated by Kaplan–Meier in
each replication (one replication = one study), or a product of such terms
(``cases_started*fidelity``). Shares at a month of the run are outcomes (``staff_left_24m``) or
share series (``adopters_delivering_share@training_end+48``); service trajectories of delivery
and of funding are outcomes (``services_delivery_restarted``, ``services_funding_stopped``).
``compare: value`` (default) takes the outcome in ``arm`` (default: the first arm);
``difference`` and ``ratio`` compare it with ``reference_outcome`` (default: the same outcome)
in arm ``reference`` (default: the same arm), paired by replication (common random numbers);
``inverted_u`` takes three arms ``order: [low, middle, high]`` and measures
``min(middle − low, middle − high)``; ``largest`` takes two or more arms ``order: [first,
other, …]`` and measures how far the first arm's mean lies above the largest of the others
(``first − max(others)``: "the first is the largest").

*Expectations* (exactly one): ``band: [lo, hi]``; ``value: x`` with ``tolerance`` (default 10 %
of ``|x|``); ``direction: greater | less`` with ``than`` (default 0 for differences and
inverted U, 1 for ratios; required for values). A band target passes when the simulated mean lies
in the band; a direction target passes only when the whole 95 % interval lies on the stated side.

*Priors* (optional, top level ``priors:``) for ``impl-sim calibrate --method abc``: one entry
per free parameter, ``{distribution: uniform|normal|lognormal|beta, ...}``
(:mod:`impl_sim.analysis.priors`); without one a free parameter's prior is uniform over its
range.

Every problem raises one :class:`TargetsError` naming the file, the target id and the key (a
bad prior: a :class:`~impl_sim.analysis.priors.PriorError` naming ``priors.NAME.KEY``).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from impl_sim.analysis.priors import parse_priors
from impl_sim.defaults import DEFAULT_REPLICATIONS, DEFAULT_SEED
from impl_sim.model.outcomes import OUTCOMES, SERIES
from impl_sim.params import Params, suggest
from impl_sim.scenario.loader import (
    Scenario,
    ScenarioError,
    load_scenario,
    nest_strategies,
    parse_scenario,
    read_yaml,
)
from impl_sim.textsafe import excerpt

FILE_KEYS = ("name", "description", "defaults", "priors", "targets")
DEFAULT_KEYS = ("replications", "seed", "horizon_months", "base", "strategies", "role")
SETTING_KEYS = ("scenario", "base", "arms", "strategies", "horizon_months", "replications", "seed")
QUANTITY_KEYS = ("outcome", "compare", "arm", "reference", "reference_outcome", "order")
EXPECTATION_KEYS = ("band", "value", "tolerance", "direction", "than")
TARGET_KEYS = ("id", "description", "source", "role", *SETTING_KEYS, *QUANTITY_KEYS,
               *EXPECTATION_KEYS)
ROLES = ("calibration", "validation")
COMPARES = ("value", "difference", "ratio", "inverted_u", "largest")
DIRECTIONS = ("greater", "less")
DEFAULT_RELATIVE_TOLERANCE = 0.1
DEFAULT_DIRECTION_TOLERANCE = 0.05
BOOTSTRAP_SAMPLES = 2000
_MONTH_RE = re.compile(r"^(training_end)?\s*([+-]\s*\d+)?$|^(\d+)$")
_SURVIVAL_RE = re.compile(r"^(median|survival_at)\(\s*(\w+)\s*(?:,\s*(\d+)\s*)?\)$")


class TargetsError(ValueError):
    """A bad targets file: names the file, the target id and the key."""

    def __init__(self, source: str, target: str | None, key: str, problem: str) -> None:
        self.source, self.target, self.key, self.problem = source, target, key, problem
        where = source + (f": target {target}" if target is not None else "")
        super().__init__(f"{where}: {key}: {problem}" if key else f"{where}: {problem}")


# --- quantities -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Term:
    """One factor of a quantity: an outcome, a monthly series at a month, or a survival
    quantity (``median`` or ``survival_at`` N months) of a duration."""

    name: str
    month: str | None = None  # "40", "training_end", "training_end+12"
    survival: str | None = None  # "median" | "survival_at"
    after: int = 0  # months after the origin, for survival_at

    @property
    def column(self) -> str:
        if self.survival == "median":
            return f"median({self.name})"
        if self.survival == "survival_at":
            return f"survival_at({self.name}, {self.after})"
        return self.name if self.month is None else f"{self.name}@{self.month}"

    def month_index(self, params: Params) -> int:
        assert self.month is not None
        match = _MONTH_RE.match(self.month)
        assert match is not None
        if match.group(3) is not None:
            return int(match.group(3))
        offset = int(match.group(2).replace(" ", "")) if match.group(2) else 0
        return params.training.start_month + params.training.duration_months + offset

    def value(self, summary: Mapping[str, float], series: Mapping[str, np.ndarray] | None,
              params: Params, events: Mapping[str, np.ndarray] | None = None) -> float:
        if self.survival is not None:
            assert events is not None
            from impl_sim.analysis.survival import run_survival_value

            return run_survival_value(events, params.simulation.horizon_months, self.name,
                                      self.survival, self.after)
        if self.month is None:
            return float(summary[self.name])
        assert series is not None
        month = self.month_index(params)
        values = series[self.name]
        return float(values[month]) if 0 <= month < len(values) else math.nan


@dataclass(frozen=True)
class Quantity:
    """A product of terms, e.g. ``cases_started*fidelity``."""

    text: str
    terms: tuple[Term, ...]

    @property
    def needs_series(self) -> bool:
        return any(t.month is not None for t in self.terms)

    @property
    def needs_events(self) -> bool:
        return any(t.survival is not None for t in self.terms)

    def value(self, summary: Mapping[str, float], series: Mapping[str, np.ndarray] | None,
              params: Params, events: Mapping[str, np.ndarray] | None = None) -> float:
        return float(np.prod([t.value(summary, series, params, events) for t in self.terms]))


def _survival_term(part: str, fail) -> Term:
    from impl_sim.analysis.survival import DURATIONS

    match = _SURVIVAL_RE.match(part)
    if match is None:
        fail(f"{part!r} is not allowed; expected median(DURATION) or survival_at(DURATION, N)")
    kind, name, after = match.groups()
    if name not in DURATIONS:
        fail(f"unknown duration {name!r}{suggest(name, list(DURATIONS))}; expected one of "
             + ", ".join(DURATIONS))
    if (kind == "survival_at") != (after is not None):
        fail(f"{part!r}: survival_at takes a duration and a number of months, median only a "
             "duration")
    return Term(name, survival=kind, after=int(after or 0))


def parse_quantity(text: Any, fail) -> Quantity:
    """``sustainment_24m``, ``sustainment@training_end+12`` or ``cases_started*fidelity``."""
    if not isinstance(text, str) or not text.strip():
        fail(f"{text!r} is not allowed; expected an outcome name such as sustainment_24m")
    terms = []
    for part in (p.strip() for p in text.split("*")):
        if "(" in part:
            terms.append(_survival_term(part, fail))
            continue
        name, _, month = part.partition("@")
        name, month = name.strip(), month.strip()
        if not month:
            if name not in OUTCOMES:
                fail(f"unknown outcome {name!r}{suggest(name, list(OUTCOMES))}; expected one of "
                     + ", ".join(OUTCOMES) + " (or SERIES@MONTH)")
            terms.append(Term(name))
            continue
        if name not in SERIES:
            fail(f"unknown series {name!r}{suggest(name, list(SERIES))}; expected one of "
                 + ", ".join(SERIES))
        if not _MONTH_RE.match(month):
            fail(f"month {month!r} is not allowed; expected a month number (e.g. 40), "
                 "training_end, or training_end+N / training_end-N")
        terms.append(Term(name, month.replace(" ", "")))
    return Quantity(text.strip(), tuple(terms))


# --- targets ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Expectation:
    """What a study saw: a band, or a direction relative to ``than``."""

    kind: str  # band | greater | less
    lo: float = -math.inf
    hi: float = math.inf
    than: float = 0.0
    tolerance: float = DEFAULT_DIRECTION_TOLERANCE  # scale of a miss, for calibration
    text: str = ""

    def passed(self, mean: float, lo: float, hi: float) -> bool:
        if math.isnan(mean):
            return False
        if self.kind == "band":
            return self.lo <= mean <= self.hi
        if self.kind == "greater":
            return lo > self.than
        return hi < self.than

    def miss(self, mean: float, lo: float, hi: float) -> float:
        """How far the simulation is from passing, in tolerances (0 when it passes)."""
        if math.isnan(mean):
            return 10.0  # undefined quantity: far from any target
        if self.kind == "band":
            gap = max(self.lo - mean, mean - self.hi, 0.0)
        elif self.kind == "greater":
            gap = max(self.than - lo, 0.0)
        else:
            gap = max(hi - self.than, 0.0)
        return gap / self.tolerance if self.tolerance > 0 else (0.0 if gap == 0 else 10.0)

    def band(self) -> tuple[float | None, float | None]:
        """The accepted range as ``(lo, hi)``; ``None`` for an open side (JSON)."""
        if self.kind == "band":
            return self.lo, self.hi
        return (self.than, None) if self.kind == "greater" else (None, self.than)


@dataclass(frozen=True)
class Target:
    """One target: a setting, a quantity, an expectation and where it comes from."""

    id: str
    role: str
    description: str
    source: str
    scenario: Scenario
    compare: str
    arms: tuple[str, ...]  # value: (arm,); difference/ratio: (arm, reference); inverted_u: 3;
    # largest: the arm claimed largest, then the others
    quantities: tuple[Quantity, ...]  # one per arm in ``arms``
    expectation: Expectation

    @property
    def label(self) -> str:
        """What is simulated, in short."""
        q, a = self.quantities, self.arms
        if self.compare == "value":
            return f"{q[0].text} [{a[0]}]"
        if self.compare == "inverted_u":
            return f"{q[0].text}: {a[1]} above {a[0]} and {a[2]}"
        if self.compare == "largest":
            return f"{q[0].text}: {a[0]} above the largest of {', '.join(a[1:])}"
        sign = "−" if self.compare == "difference" else "/"
        return f"{q[0].text} [{a[0]}] {sign} {q[1].text} [{a[1]}]"


@dataclass(frozen=True)
class TargetSet:
    """A loaded targets file."""

    name: str
    description: str
    source: str
    targets: tuple[Target, ...]
    #: ``priors:`` of the file, checked (:func:`impl_sim.analysis.priors.parse_priors`)
    priors: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    def with_role(self, role: str) -> list[Target]:
        return [t for t in self.targets if t.role == role]


class _Checker:
    """Raises :class:`TargetsError` for one target (file and id filled in)."""

    def __init__(self, source: str, target: str | None) -> None:
        self.source, self.target = source, target

    def fail(self, key: str, problem: str):
        raise TargetsError(self.source, self.target, key, problem)

    def at(self, key: str):
        return lambda problem: self.fail(key, problem)

    def number(self, key: str, value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.fail(key, f"{value!r} is not allowed; expected a number")
        if not math.isfinite(value):
            self.fail(key, f"{value!r} is not allowed; expected a finite number")
        return float(value)


def load_targets(path: str | Path, *, replications: int | None = None) -> TargetSet:
    """Load and check a targets file (``replications`` overrides every target's)."""
    source = str(path)
    try:
        doc = read_yaml(path)
    except ScenarioError as exc:
        raise TargetsError(source, None, exc.key, exc.problem) from None
    return parse_targets(doc, source, base_dir=Path(path).parent, replications=replications)


def parse_targets(doc: Any, source: str = "<targets>", *, base_dir: Path | None = None,
                  replications: int | None = None) -> TargetSet:
    """Check a parsed targets document; see the module docstring for the format."""
    check = _Checker(source, None)
    if not isinstance(doc, Mapping):
        check.fail("", "expected a mapping with keys " + ", ".join(FILE_KEYS)
                   + (" (the file is empty)" if doc is None else ""))
    _unknown_keys(check, "", doc, FILE_KEYS)
    defaults = doc.get("defaults") or {}
    if not isinstance(defaults, Mapping):
        check.fail("defaults", "expected a mapping with keys " + ", ".join(DEFAULT_KEYS))
    _unknown_keys(check, "defaults.", defaults, DEFAULT_KEYS)
    items = doc.get("targets")
    if not isinstance(items, list) or not items:
        check.fail("targets", "expected a non-empty list of targets (each a mapping with id, "
                   "outcome and an expectation)")
    targets: list[Target] = []
    seen: set[str] = set()
    for i, item in enumerate(items):
        target = _parse_target(item, i, source, defaults, base_dir or Path("."), replications)
        if target.id in seen:
            raise TargetsError(source, target.id, "id", "duplicate id; every target needs its own")
        seen.add(target.id)
        targets.append(target)
    name = doc.get("name") or Path(source).stem
    priors = parse_priors(doc.get("priors"), source)
    return TargetSet(str(name), str(doc.get("description") or "").strip(), source,
                     tuple(targets), priors)


def _unknown_keys(check: _Checker, prefix: str, mapping: Mapping, allowed: Iterable[str]) -> None:
    allowed = tuple(allowed)
    for key in mapping:
        if key not in allowed:
            check.fail(f"{prefix}{key}", f"unknown key{suggest(str(key), allowed)}; allowed: "
                       + ", ".join(allowed))


def _parse_target(item: Any, index: int, source: str, defaults: Mapping, base_dir: Path,
                  replications: int | None) -> Target:
    if not isinstance(item, Mapping):
        raise TargetsError(source, f"#{index + 1}", "", f"expected a mapping, got {item!r}")
    if "id" not in item or item["id"] in (None, ""):
        raise TargetsError(source, f"#{index + 1}", "id", "missing; every target needs an id")
    target_id = str(item["id"])
    check = _Checker(source, target_id)
    _unknown_keys(check, "", item, TARGET_KEYS)
    merged = {**{k: v for k, v in defaults.items() if k != "base"}, **item}
    role = merged.get("role", "validation")
    if role not in ROLES:
        check.fail("role", f"{role!r} is not allowed; expected one of " + ", ".join(ROLES))
    for key in ("description", "source"):
        if not isinstance(item.get(key, ""), str):
            check.fail(key, f"{item[key]!r} is not allowed; expected text")
    scenario = _setting(check, item, defaults, base_dir, replications)
    compare, arms, quantities = _quantity(check, item, scenario)
    expectation = _expectation(check, item, compare)
    return Target(target_id, role, str(item.get("description") or "").strip(),
                  str(item.get("source") or ""), scenario, compare, arms, quantities,
                  expectation)


def _setting(check: _Checker, item: Mapping, defaults: Mapping, base_dir: Path,
             replications: int | None) -> Scenario:
    """The runs a target needs, as a validated :class:`Scenario`."""
    where = f"{check.source}: target {check.target}"
    name = re.sub(r"[^A-Za-z0-9_.-]", "-", f"target-{check.target}")[:80]
    common = {k: item.get(k, defaults.get(k)) for k in ("horizon_months", "replications", "seed")}
    common = {k: v for k, v in common.items() if v is not None}
    if replications is not None:
        common["replications"] = replications
    try:
        if item.get("scenario") is not None:
            path = item["scenario"]
            if not isinstance(path, str):
                check.fail("scenario", f"{path!r} is not allowed; expected a file path")
            full = (base_dir / path) if not Path(path).is_absolute() else Path(path)
            if not full.exists():
                check.fail("scenario", f"file {str(full)!r} not found (paths are relative to the "
                           "targets file)")
            scenario = load_scenario(full, outcome_names=OUTCOMES)
            base = {**_mapping(check, "defaults.base", defaults.get("base")), **scenario.base,
                    **_mapping(check, "base", item.get("base"))}
            strategies = {**nest_strategies(scenario.strategies),
                          **_mapping(check, "strategies", item.get("strategies"))}
            changes: dict[str, Any] = {"base": base, "strategies": strategies or None, **common}
            if item.get("arms") is not None:
                changes["arms"] = item["arms"]
            scenario = scenario.with_changes(**changes)
        else:
            doc = {"name": name, "replications": DEFAULT_REPLICATIONS, "seed": DEFAULT_SEED,
                   **common, "base": {**_mapping(check, "defaults.base", defaults.get("base")),
                                      **_mapping(check, "base", item.get("base"))},
                   "arms": item.get("arms"),
                   "strategies": {**_mapping(check, "defaults.strategies",
                                             defaults.get("strategies")),
                                  **_mapping(check, "strategies", item.get("strategies"))} or None}
            scenario = parse_scenario(doc, where, outcome_names=OUTCOMES)
    except ScenarioError as exc:
        key = exc.key.removeprefix(f"{where}: ") if exc.source == where else exc.key
        raise TargetsError(check.source, check.target, key,
                           exc.problem if exc.source == where else f"{exc.source}: "
                           f"{exc.problem}") from None
    if scenario.design is not None:
        check.fail("scenario", "the scenario has a design block; a target needs fixed settings "
                   "(arms), not a sweep")
    return scenario


def _mapping(check: _Checker, key: str, value: Any) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        check.fail(key, f"{excerpt(value)} is not allowed; expected a mapping of parameter: "
                   "value")
    return dict(value)


def _arm(check: _Checker, key: str, value: Any, scenario: Scenario) -> str:
    arms = list(scenario.arms)
    if value is None:
        return arms[0]
    if str(value) not in scenario.arms:
        check.fail(key, f"unknown arm {value!r}{suggest(str(value), arms)}; the setting's arms: "
                   + ", ".join(arms))
    return str(value)


def _quantity(check: _Checker, item: Mapping, scenario: Scenario,
              ) -> tuple[str, tuple[str, ...], tuple[Quantity, ...]]:
    if "outcome" not in item:
        check.fail("outcome", "missing; name the outcome to compare, e.g. sustainment_24m")
    outcome = parse_quantity(item["outcome"], check.at("outcome"))
    compare = item.get("compare", "value")
    if compare not in COMPARES:
        check.fail("compare", f"{compare!r} is not allowed; expected one of "
                   + ", ".join(COMPARES))
    for month_term in (t for t in outcome.terms if t.month is not None):
        _check_month(check, "outcome", month_term, scenario)
    if compare == "value":
        _only(check, item, compare, ("reference", "reference_outcome", "order"))
        return compare, (_arm(check, "arm", item.get("arm"), scenario),), (outcome,)
    if compare == "inverted_u":
        _only(check, item, compare, ("arm", "reference", "reference_outcome"))
        order = item.get("order")
        if not isinstance(order, list) or len(order) != 3:
            check.fail("order", f"{order!r} is not allowed; expected three arm names [low, "
                       "middle, high]")
        arms = tuple(_arm(check, "order", a, scenario) for a in order)
        if len(set(arms)) != 3:
            check.fail("order", f"{order!r}: expected three different arms")
        return compare, arms, (outcome,) * 3
    if compare == "largest":
        _only(check, item, compare, ("arm", "reference", "reference_outcome"))
        order = item.get("order")
        if not isinstance(order, list) or len(order) < 2:
            check.fail("order", f"{order!r} is not allowed; expected a list of two or more arm "
                       "names, the one expected largest first")
        arms = tuple(_arm(check, "order", a, scenario) for a in order)
        if len(set(arms)) != len(arms):
            check.fail("order", f"{order!r}: expected different arms")
        return compare, arms, (outcome,) * len(arms)
    arm = _arm(check, "arm", item.get("arm"), scenario)
    reference = _arm(check, "reference", item.get("reference", arm), scenario)
    if "order" in item:
        check.fail("order", f"only used with compare: inverted_u or largest, not {compare}")
    other = outcome
    if item.get("reference_outcome") is not None:
        other = parse_quantity(item["reference_outcome"], check.at("reference_outcome"))
        for month_term in (t for t in other.terms if t.month is not None):
            _check_month(check, "reference_outcome", month_term, scenario)
    if reference == arm and other == outcome:
        check.fail("reference", f"compare: {compare} needs a reference arm or a "
                   "reference_outcome that differs from the compared one")
    return compare, (arm, reference), (outcome, other)


def _only(check: _Checker, item: Mapping, compare: str, unused: tuple[str, ...]) -> None:
    for key in unused:
        if item.get(key) is not None:
            check.fail(key, f"not used with compare: {compare}")


def _check_month(check: _Checker, key: str, term: Term, scenario: Scenario) -> None:
    for arm in scenario.arms:
        month = term.month_index(scenario.params_for(arm))
        if not 0 <= month < scenario.horizon_months:
            check.fail(key, f"month {term.month} is month {month} in arm {arm}; expected a month "
                       f"from 0 to {scenario.horizon_months - 1} (the horizon)")


def _expectation(check: _Checker, item: Mapping, compare: str) -> Expectation:
    given = [k for k in ("band", "value", "direction") if k in item]
    if len(given) != 1:
        check.fail(" / ".join(given) if given else "band", "give exactly one expectation: band: "
                   "[lo, hi], value: x (with tolerance), or direction: greater|less (with than)"
                   + (f"; got {', '.join(given)}" if given else ""))
    kind = given[0]
    tolerance = item.get("tolerance")
    if tolerance is not None:
        tolerance = check.number("tolerance", tolerance)
        if tolerance <= 0:
            check.fail("tolerance", f"{tolerance:g} is not allowed; expected a number above 0")
    if kind != "direction" and "than" in item:
        check.fail("than", "only used with direction: greater|less")
    if kind == "band":
        band = item["band"]
        if not isinstance(band, list) or len(band) != 2:
            check.fail("band", f"{band!r} is not allowed; expected [lo, hi]")
        lo, hi = (check.number("band", b) for b in band)
        if lo > hi:
            check.fail("band", f"[{lo:g}, {hi:g}]: lo must not exceed hi")
        return Expectation("band", lo, hi, tolerance=tolerance or max((hi - lo) / 2, 1e-9),
                           text=f"[{_g(lo)}, {_g(hi)}]")
    if kind == "value":
        value = check.number("value", item["value"])
        tol = tolerance or DEFAULT_RELATIVE_TOLERANCE * abs(value) or DEFAULT_DIRECTION_TOLERANCE
        return Expectation("band", value - tol, value + tol, tolerance=tol,
                           text=f"{_g(value)} ± {_g(tol)}")
    direction = item["direction"]
    if direction not in DIRECTIONS:
        check.fail("direction", f"{direction!r} is not allowed; expected one of "
                   + ", ".join(DIRECTIONS))
    if "than" in item:
        than = check.number("than", item["than"])
    elif compare == "value":
        check.fail("than", f"direction: {direction} on a single value needs than: NUMBER")
    else:
        than = 1.0 if compare == "ratio" else 0.0
    tol = tolerance or (DEFAULT_RELATIVE_TOLERANCE * abs(than) or DEFAULT_DIRECTION_TOLERANCE)
    return Expectation(direction, than=than, tolerance=tol,
                       text=f"{'>' if direction == 'greater' else '<'} {_g(than)}")


def _g(x: float) -> str:
    return f"{x:.3g}"


# --- simulating -------------------------------------------------------------------------------


def setting_key(scenario: Scenario, extra: Mapping[str, Any] | None = None) -> str:
    """Identifies a setting's runs (targets with equal settings share them)."""
    canonical = {k: v for k, v in scenario.canonical().items() if k != "name"}
    return json.dumps([canonical, dict(sorted((extra or {}).items()))], sort_keys=True,
                      default=str)


@dataclass
class Simulated:
    """Quantity values per setting, arm and replication."""

    values: dict[tuple[str, str], dict[str, list[float]]] = field(default_factory=dict)

    def series(self, setting: str, arm: str, quantity: Quantity) -> np.ndarray:
        return np.asarray(self.values[(setting, arm)][quantity.text], dtype=float)


class _QuantityCollector:
    """A :class:`~impl_sim.experiment.runner.TaskCache` that keeps only the quantities each
    run is needed for, so a calibration's thousands of runs never sit in memory whole."""

    def __init__(self, settings: list[tuple[str, tuple[Quantity, ...]]], chunk_size: int):
        self.settings, self.chunk_size = settings, chunk_size
        self.rows: list[tuple[str, str, int, dict[str, float]]] = []

    def split(self, tasks: list) -> tuple[list, list[list]]:
        from impl_sim.experiment.runner import chunked

        return [], chunked(tasks, self.chunk_size)

    def put(self, pairs: list) -> None:
        for task, result in pairs:
            key, quantities = self.settings[task.point]
            params = Params.from_overrides(task.overrides)
            values = {q.text: q.value(result.summary, result.series, params, result.events)
                      for q in quantities}
            self.rows.append((key, task.arm, task.replication, values))


def simulate(targets: Iterable[Target], *, workers: int = 1, executor: Any = None,
             variants: list[Mapping[str, Any]] | None = None, progress: Any = None,
             seeds: list[int] | None = None,
             ) -> tuple[Simulated, dict[tuple[int, str], str]]:
    """Run every distinct setting the targets need once, for each variant.

    A variant is a mapping of parameter overrides laid *under* each target's own ``base`` (so a
    target's explicit settings win); calibration passes one variant per candidate point.
    ``seeds`` (one per variant) replaces the targets' own seeds — Bayesian calibration gives
    every particle fresh random numbers. Runs go
    through :func:`impl_sim.experiment.runner.run_tasks`; ``executor`` is a name or an executor
    object (an open one is reused). Returns the values and, per ``(variant index, target id)``,
    the key of the setting to judge on.
    """
    from impl_sim.experiment.runner import Task, as_executor, default_chunk_size, run_tasks

    targets = list(targets)
    settings: dict[str, tuple[Scenario, set[Quantity]]] = {}
    keys: dict[tuple[int, str], str] = {}
    for v, under in enumerate(variants or [{}]):
        for target in targets:
            scenario = target.scenario
            changes: dict[str, Any] = {}
            if under:
                changes["base"] = {**under, **scenario.base}
            if seeds is not None:
                changes["seed"] = int(seeds[v])
            if changes:
                scenario = scenario.with_changes(**changes)
            key = setting_key(scenario)
            keys[(v, target.id)] = key
            settings.setdefault(key, (scenario, set()))[1].update(target.quantities)
    tasks: list[Task] = []
    wanted: list[tuple[str, tuple[Quantity, ...]]] = []
    for point, (key, (scenario, quantities)) in enumerate(settings.items()):
        ordered = tuple(sorted(quantities, key=lambda q: q.text))
        wanted.append((key, ordered))
        keep_series = any(q.needs_series for q in ordered)
        keep_events = any(q.needs_events for q in ordered)
        for arm in scenario.arms:
            overrides = scenario.overrides_for(arm)
            tasks += [Task(len(tasks) + r, point, arm, r, overrides, scenario.seed, keep_series,
                           keep_events) for r in range(scenario.replications)]
    collector = _QuantityCollector(wanted, default_chunk_size(len(tasks), workers))
    run_tasks(tasks, as_executor(executor, workers=workers), cache=collector,
              progress=progress, keep=False)
    collector.rows.sort(key=lambda r: (r[0], r[1], r[2]))  # independent of completion order
    sim = Simulated()
    for setting, arm, _rep, values in collector.rows:
        slot = sim.values.setdefault((setting, arm), {})
        for name, value in values.items():
            slot.setdefault(name, []).append(value)
    return sim, keys


# --- judging ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class TargetResult:
    """A target and what the simulation gave: mean with a 95 % interval, pass or fail."""

    target: Target
    simulated: float
    lo: float
    hi: float
    passed: bool
    miss: float
    replications: int

    def as_json(self) -> dict[str, Any]:
        band = self.target.expectation.band()
        return {"id": self.target.id, "role": self.target.role, "quantity": self.target.label,
                "expected": self.target.expectation.text,
                "expected_band": [_finite(band[0]), _finite(band[1])],
                "simulated": _finite(self.simulated), "lo": _finite(self.lo),
                "hi": _finite(self.hi), "passed": self.passed,
                "replications": self.replications, "source": self.target.source}


def _finite(x: float | None) -> float | None:
    return None if x is None or not math.isfinite(x) else round(float(x), 6)


def _bootstrap(statistic, columns: list[np.ndarray], seed: int) -> tuple[float, float]:
    """95 % percentile interval of ``statistic`` over replications resampled in pairs."""
    n = len(columns[0])
    if n < 2:
        value = statistic(*columns)
        return value, value
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, n, size=(BOOTSTRAP_SAMPLES, n))
    draws = np.array([statistic(*(c[p] for c in columns)) for p in picks])
    draws = draws[np.isfinite(draws)]
    if not len(draws):
        return math.nan, math.nan
    lo, hi = np.quantile(draws, [0.025, 0.975])
    return float(lo), float(hi)


def _nanmean(x: np.ndarray) -> float:
    """Mean over defined values; NaN (without a warning) when none is defined."""
    x = x[~np.isnan(x)]
    return float(x.mean()) if len(x) else math.nan


def _ratio(a: np.ndarray, b: np.ndarray) -> float:
    denominator = _nanmean(b)
    return _nanmean(a) / denominator if denominator else math.nan


def _inverted_u(low: np.ndarray, middle: np.ndarray, high: np.ndarray) -> float:
    return min(_nanmean(middle - low), _nanmean(middle - high))


def _largest(first: np.ndarray, *others: np.ndarray) -> float:
    means = [_nanmean(o) for o in others]
    if math.isnan(_nanmean(first)) or any(math.isnan(m) for m in means):
        return math.nan  # undefined in some arm: no ranking
    return _nanmean(first) - max(means)


def judge(target: Target, sim: Simulated, setting: str, seed: int = DEFAULT_SEED,
          ) -> TargetResult:
    """The simulated statistic of one target with its interval, and whether it passes."""
    from impl_sim.analysis.summary import mean_interval  # pandas/scipy: not on the error path

    columns = [sim.series(setting, arm, q)
               for arm, q in zip(target.arms, target.quantities, strict=True)]
    if target.compare == "value":
        stats = mean_interval(columns[0])
        mean, lo, hi = stats["mean"], stats["lo"], stats["hi"]
    elif target.compare == "difference":
        stats = mean_interval(columns[0] - columns[1])  # paired by replication (CRN)
        mean, lo, hi = stats["mean"], stats["lo"], stats["hi"]
    else:
        statistic = {"ratio": _ratio, "inverted_u": _inverted_u,
                     "largest": _largest}[target.compare]
        mean = statistic(*columns)
        lo, hi = _bootstrap(statistic, columns, seed)
    expectation = target.expectation
    return TargetResult(target, mean, lo, hi, expectation.passed(mean, lo, hi),
                        expectation.miss(mean, lo, hi), len(columns[0]))


#: How a calibration scores a parameter point (both ``--method de`` and ``--method abc``).
DISTANCE_TEXT = ("sum over the calibration targets of miss², each miss in the target's "
                 "tolerance (band: distance outside the band ÷ tolerance, default half the "
                 "band's width; direction: how far the 95 % interval crosses `than` ÷ "
                 "tolerance); 0 when every target is met; 10 for an undefined quantity")


def distance(results: Iterable[TargetResult]) -> float:
    """The one calibration distance: Σ miss², each miss in the target's own tolerance
    (:meth:`Expectation.miss`), so no figure dominates and meeting every target scores 0."""
    return float(sum(r.miss ** 2 for r in results))


def validate(targets: Iterable[Target], *, workers: int = 1, executor: Any = None,
             under: Mapping[str, Any] | None = None) -> list[TargetResult]:
    """Simulate every target's setting and judge each target (in the file's order);
    ``under`` adds parameter overrides beneath each target's own settings."""
    targets = list(targets)
    if not targets:
        return []
    sim, keys = simulate(targets, workers=workers, executor=executor, variants=[under or {}])
    return [judge(t, sim, keys[(0, t.id)], seed=t.scenario.seed) for t in targets]


def summary_line(results: list[TargetResult]) -> str:
    """``N of M targets met`` with the split by role."""
    met = sum(r.passed for r in results)
    parts = []
    for role in ROLES:
        of_role = [r for r in results if r.target.role == role]
        if of_role:
            parts.append(f"{role} {sum(r.passed for r in of_role)}/{len(of_role)}")
    return f"{met} of {len(results)} targets met" + (f" ({', '.join(parts)})" if parts else "")


def _num(x: float) -> str:
    if x is None or not math.isfinite(x):
        return "–"
    return f"{x:,.0f}" if abs(x) >= 1000 else f"{x:.3g}"


def simulated_text(result: TargetResult) -> str:
    return f"{_num(result.simulated)} [{_num(result.lo)}, {_num(result.hi)}]"


def markdown_report(results: list[TargetResult], target_set: TargetSet, command: str) -> str:
    """The validation table as a Markdown document (docs/validation.md)."""
    lines = [
        f"# Validation: {target_set.name}", "",
        f"Generated by `{command}` — do not edit by hand. Targets: `{target_set.source}`.", "",
        target_set.description, "",
        "Each target runs its own setting with common random numbers; *simulated* is the mean "
        "over replications with its 95 % interval (t-interval for values and paired "
        "differences, paired bootstrap for ratios and the inverted U). A band target passes when "
        "the mean lies in the band; a direction target only when the whole interval lies on the "
        "stated side.", "",
        f"**{summary_line(results)}**", "",
        "| id | role | quantity | expected | simulated [95 %] | reps | met |",
        "|---|---|---|---|---|---:|---|",
    ]
    for r in results:
        t = r.target
        met = "yes" if r.passed else "**no**"
        lines.append(f"| {t.id} | {t.role} | {t.label} | {t.expectation.text} | "
                     f"{simulated_text(r)} | {r.replications} | {met} |")
    lines += ["", "## Targets", ""]
    for r in results:
        t = r.target
        lines.append(f"- **{t.id}** ({t.role}) — {t.description or t.label} *Source: "
                     f"{t.source or 'not given'}.*")
    return "\n".join(lines) + "\n"
