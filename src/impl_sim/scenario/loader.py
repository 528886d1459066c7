"""Scenario files: YAML → a validated :class:`Scenario`.

Every problem ends in one :class:`ScenarioError` that names the file, the key, the bad value and
what is allowed (with a "did you mean" hint for typos). YAML is read with safe loading only, and
duplicate keys are errors (PyYAML would silently keep the last one).

Limits, checked before a file is turned into Python values (so that no file, however made, can
hang the loader or exhaust memory): at most :data:`MAX_FILE_BYTES` (1 MiB), no NUL character,
nesting at most :data:`MAX_DEPTH` (20) levels deep, at most :data:`MAX_ALIASES` (50) aliases
(``*name``), and at most :data:`MAX_NODES` (10,000) values once aliases are expanded (a
"billion laughs" file is refused). Values echoed in messages are short escaped excerpts
(:func:`impl_sim.textsafe.excerpt`). :func:`validate_overrides` is the one check of a mapping of
parameter overrides, shared by scenarios, targets and lessons.

Format (DESIGN §6)::

    name: leadership-vs-support
    description: ...
    horizon_months: 48                   # default: impl_sim.defaults (from the schema)
    replications: 50                     # default: impl_sim.defaults.DEFAULT_REPLICATIONS
    seed: 7                              # default: impl_sim.defaults.DEFAULT_SEED
    base: {services.count: 4}            # dotted keys, or nested mappings
    arms:                                # named alternatives, common random numbers
      passive_support: {leaders.style: passive_support}
      implementation_leadership: {leaders.style: implementation_leadership}
    design: {method: lhs, samples: 64, parameters: {therapists.motivation_mean: [0.2, 0.9]}}
    strategies: {booster_consultation: {start_month: 18}}
    outputs: {series: true, events: true}  # default: true without a design, false with one
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from impl_sim.defaults import (
    DEFAULT_HORIZON_MONTHS,
    DEFAULT_REPLICATIONS,
    DEFAULT_SEED,
)
from impl_sim.params import (
    ParamError,
    Params,
    param_spec,
    param_specs,
    strategy_names,
    strategy_params_group,
    suggest,
)
from impl_sim.textsafe import excerpt, one_line

TOP_LEVEL_KEYS = (
    "name", "description", "horizon_months", "replications", "seed",
    "base", "arms", "design", "strategies", "outputs",
)
DESIGN_METHODS = ("grid", "lhs", "sobol", "morris")
DESIGN_KEYS = ("method", "samples", "parameters", "levels", "seed", "kinds")
PARAMETER_KINDS = ("lever", "uncertainty", "structure")
OUTPUT_KEYS = ("series", "events", "outcomes")
DEFAULT_ARM = "baseline"
MAX_REPLICATIONS = 100_000
MAX_RUNS = 2_000_000  # arms × design points × replications of one scenario (hard cap)
MAX_FILE_BYTES = 1024 * 1024
MAX_DEPTH = 20
MAX_ALIASES = 50
MAX_NODES = 10_000
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,79}$")


class ScenarioError(ValueError):
    """A bad scenario file: names the file, the key, the value and what is allowed."""

    def __init__(self, source: str, key: str, problem: str) -> None:
        self.source, self.key = source, one_line(str(key), 120)
        self.problem = one_line(str(problem))
        where = f"{source}: {self.key}" if self.key else source
        super().__init__(one_line(f"{where}: {self.problem}", 800))


@dataclass(frozen=True)
class DesignSpec:
    """A validated ``design`` block; :mod:`impl_sim.scenario.design` turns it into points."""

    method: str
    samples: int
    parameters: dict[str, Any]  # name -> [lo, hi] (range) or list of values (grid)
    levels: int | None = None  # grid points per range (default 3); Morris levels (default 4)
    seed: int | None = None
    kinds: dict[str, str] | None = None  # lever/uncertainty overrides of the schema's kind

    def as_dict(self) -> dict[str, Any]:
        spec = {"method": self.method, "samples": self.samples, "parameters": self.parameters,
                "levels": self.levels, "seed": self.seed}
        if self.kinds:  # only when set, so designs without overrides keep their hash
            spec["kinds"] = dict(sorted(self.kinds.items()))
        return spec


@dataclass(frozen=True)
class Scenario:
    """A validated scenario. ``params_for(arm)`` gives the parameters of one arm."""

    name: str
    description: str = ""
    horizon_months: int = DEFAULT_HORIZON_MONTHS
    replications: int = DEFAULT_REPLICATIONS
    seed: int = DEFAULT_SEED
    base: dict[str, Any] = field(default_factory=dict)
    arms: dict[str, dict[str, Any]] = field(default_factory=lambda: {DEFAULT_ARM: {}})
    design: DesignSpec | None = None
    strategies: dict[str, Any] = field(default_factory=dict)  # flattened dotted overrides
    outputs: dict[str, Any] = field(default_factory=lambda: {"series": True})
    source: str = "<scenario>"

    def overrides_for(self, arm: str) -> dict[str, Any]:
        """Dotted overrides of one arm: base, then strategies, then the arm, then horizon."""
        return {**self.base, **self.strategies, **self.arms[arm],
                "simulation.horizon_months": self.horizon_months}

    def params_for(self, arm: str, extra: Mapping[str, Any] | None = None) -> Params:
        """Parameters of ``arm`` (plus design-point ``extra`` overrides)."""
        return Params.from_overrides({**self.overrides_for(arm), **(extra or {})})

    def design_point_count(self) -> int:
        """Design points (1 without a design), counted without building them."""
        if self.design is None:
            return 1
        from impl_sim.scenario.design import expected_points

        return expected_points(self.design)

    def run_count(self) -> int:
        """Runs the scenario asks for: design points × arms × replications."""
        return self.design_point_count() * len(self.arms) * self.replications

    def canonical(self) -> dict[str, Any]:
        """Canonical content that identifies results (description excluded)."""
        return {
            "name": self.name, "horizon_months": self.horizon_months,
            "replications": self.replications, "seed": self.seed,
            "base": dict(sorted(self.base.items())),
            "arms": {a: dict(sorted(o.items())) for a, o in self.arms.items()},
            "design": self.design.as_dict() if self.design else None,
            "strategies": dict(sorted(self.strategies.items())),
            "outputs": dict(sorted(self.outputs.items())),
        }

    def hash(self) -> str:
        """Short hash of :meth:`canonical` (a changed scenario gets a new results folder).

        Order is kept where it decides the runs: the arms and the design parameters (task
        order, design columns); everything else in :meth:`canonical` is already sorted."""
        blob = json.dumps(self.canonical(), default=str)
        return hashlib.sha256(blob.encode()).hexdigest()[:12]

    def to_yaml(self) -> str:
        """A YAML text that loads back to an equal scenario (same hash, same numbers)."""
        return yaml.safe_dump(self._as_document(), sort_keys=False, allow_unicode=True)

    def with_changes(self, **changes: Any) -> Scenario:
        """A copy with top-level fields replaced (e.g. ``replications=5``), re-validated."""
        return parse_scenario({**self._as_document(), **changes}, self.source)

    def _as_document(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "name": self.name, "description": self.description,
            "horizon_months": self.horizon_months, "replications": self.replications,
            "seed": self.seed, "base": dict(self.base), "arms": self.arms,
        }
        if self.design:
            doc["design"] = {k: v for k, v in self.design.as_dict().items() if v is not None}
        if self.strategies:
            doc["strategies"] = nest_strategies(self.strategies)
        doc["outputs"] = self.outputs
        return doc


def nest_strategies(flat: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """``{"strategies.x.enabled": True, ...}`` → ``{"x": {"enabled": True, ...}}``."""
    nested: dict[str, dict[str, Any]] = {}
    for key, value in flat.items():
        _, strategy, setting = key.split(".", 2)
        nested.setdefault(strategy, {})[setting] = value
    return nested


# --- loading ------------------------------------------------------------------------------------


class _StrictSafeLoader(yaml.SafeLoader):
    """Safe loader that rejects duplicate keys, deep nesting and alias bombs."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0
        self._aliases = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        """PyYAML's hook per node: count aliases and nesting before going deeper."""
        if self.check_event(yaml.AliasEvent):
            self._aliases += 1
            if self._aliases > MAX_ALIASES:
                raise _LimitError(self.peek_event().start_mark, f"more than {MAX_ALIASES} "
                                  "aliases (*name); write the values out instead")
            return super().compose_node(parent, index)
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise _LimitError(self.peek_event().start_mark, f"nested more than {MAX_DEPTH} "
                                  "levels deep")
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


class _LimitError(yaml.YAMLError):
    def __init__(self, mark: Any, problem: str) -> None:
        super().__init__(problem)
        self.problem_mark, self.problem = mark, problem


def _construct_mapping(loader: _StrictSafeLoader, node: yaml.MappingNode, deep: bool = False):
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        try:
            duplicate = key in seen
        except TypeError:  # an unhashable key (a list or mapping)
            raise yaml.constructor.ConstructorError(
                None, None, f"{excerpt(key)} cannot be a key", key_node.start_mark) from None
        if duplicate:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {excerpt(key)}", key_node.start_mark)
        seen.add(key)
    return loader.construct_mapping(node, deep=deep)


_StrictSafeLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _expanded_size(root: yaml.Node) -> int:
    """How many values the node graph holds once aliases are expanded (stops past the limit);
    an alias that refers to its own ancestor counts as past the limit."""
    sizes: dict[int, int] = {}
    open_nodes: set[int] = set()

    def size(node: yaml.Node) -> int:
        known = sizes.get(id(node))
        if known is not None:
            return known
        if id(node) in open_nodes:
            return MAX_NODES + 1
        open_nodes.add(id(node))
        total = 1
        if isinstance(node, yaml.SequenceNode):
            children = node.value
        elif isinstance(node, yaml.MappingNode):
            children = [n for pair in node.value for n in pair]
        else:
            children = []
        for child in children:
            total += size(child)
            if total > MAX_NODES:
                break
        open_nodes.discard(id(node))
        sizes[id(node)] = total
        return total

    return size(root)


def read_yaml(path: str | Path) -> Any:
    """Read a YAML file safely; raise :class:`ScenarioError` for unreadable or invalid YAML,
    and for files past the size limit (checked before reading)."""
    source = str(path)
    try:
        size = Path(path).stat().st_size
        if size > MAX_FILE_BYTES:
            raise ScenarioError(source, "", f"{size:,} bytes; a file may have at most "
                                f"{MAX_FILE_BYTES:,} bytes")
        data = Path(path).read_bytes()
    except FileNotFoundError:
        raise ScenarioError(source, "", "file not found") from None
    except IsADirectoryError:
        raise ScenarioError(source, "", "is a directory, expected a YAML file") from None
    except OSError as exc:
        raise ScenarioError(source, "", f"cannot read file ({excerpt(exc.strerror)})") from None
    if Path(path).is_dir():
        raise ScenarioError(source, "", "is a directory, expected a YAML file")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ScenarioError(source, f"line {line}", "not UTF-8 text (byte "
                            f"0x{data[exc.start]:02x}); save the file as UTF-8") from None
    return parse_yaml_text(text, source)


def parse_yaml_text(text: str, source: str) -> Any:
    """Parse YAML text safely (used for files and for dashboard uploads), within the limits
    of the module docstring."""
    if len(text) > MAX_FILE_BYTES:
        raise ScenarioError(source, "", f"{len(text):,} characters; a file may have at most "
                            f"{MAX_FILE_BYTES:,}")
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        raise ScenarioError(source, f"line {line}", "contains a NUL character (\\x00); a "
                            "scenario is plain text")
    loader = _StrictSafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is not None and _expanded_size(node) > MAX_NODES:
            raise _LimitError(node.start_mark, f"more than {MAX_NODES:,} values once aliases "
                              "are expanded; write the values out instead")
        return loader.construct_document(node) if node is not None else None
    except yaml.constructor.ConstructorError as exc:
        mark = exc.problem_mark
        where = f"line {mark.line + 1}" if mark else "YAML"
        problem = exc.problem or str(exc)
        if "could not determine a constructor" in problem:
            problem = "tags such as !!python/... are not allowed (files never execute code)"
        raise ScenarioError(source, where, problem) from None
    except yaml.YAMLError as exc:
        if isinstance(exc, _LimitError):
            mark = exc.problem_mark
            where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "YAML"
            raise ScenarioError(source, where, exc.problem) from None
        where, problem = _yaml_error_position(exc, text)
        raise ScenarioError(source, where, f"invalid YAML: {problem}") from None
    except RecursionError:  # pragma: no cover - the depth limit comes first
        raise ScenarioError(source, "YAML", f"nested more than {MAX_DEPTH} levels deep") from None
    finally:
        loader.dispose()


def _yaml_error_position(exc: yaml.YAMLError, text: str) -> tuple[str, str]:
    """Where a YAML error's *cause* is, as far as the parser lets us tell, and what it is.

    The parser notices a missing ``:`` only on the next line (``could not find expected ':'``
    names the line after the key); its context mark, or the previous line without a colon,
    points at the cause."""
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or "not valid YAML"
    if mark is None:
        return "YAML", problem
    where = f"line {mark.line + 1}, column {mark.column + 1}"
    context, context_mark = getattr(exc, "context", None), getattr(exc, "context_mark", None)
    lines = text.splitlines()
    if context_mark is not None and context_mark.line < mark.line:
        start = f"line {context_mark.line + 1}"
        if problem == "could not find expected ':'":
            line = lines[context_mark.line].strip() if context_mark.line < len(lines) else ""
            return start, f"no ':' after the key in {line!r} (noticed on line {mark.line + 1})"
        return start, f"{context} started on this line: {problem} at {where}"
    if problem == "mapping values are not allowed here":
        previous = next((i for i in range(mark.line - 1, -1, -1) if lines[i].strip()), None)
        if previous is not None and ":" not in lines[previous]:
            return (f"line {previous + 1}", f"no ':' after the key in "
                    f"{lines[previous].strip()!r} (noticed on line {mark.line + 1})")
    return where, problem


def load_scenario(path: str | Path, *, outcome_names: Collection[str] | None = None
                  ) -> Scenario:
    """Load and validate a scenario file (``outcome_names``: see :func:`parse_scenario`)."""
    return parse_scenario(read_yaml(path), str(path), outcome_names=outcome_names)


def parse_scenario(doc: Any, source: str = "<scenario>", *,
                   outcome_names: Collection[str] | None = None) -> Scenario:
    """Validate a parsed YAML document into a :class:`Scenario`.

    ``outcome_names``: the model's outcomes, to check ``outputs.outcomes`` against (the
    scenario package does not import the model; the CLI, the runner, the targets loader and the
    dashboard pass ``impl_sim.model.outcomes.OUTCOMES``). Without it only the list's shape is
    checked."""
    if doc is None:
        raise ScenarioError(source, "", "the file is empty; expected a mapping with at least "
                            "'name'")
    if not isinstance(doc, Mapping):
        raise ScenarioError(source, "", f"expected a mapping of keys ({', '.join(TOP_LEVEL_KEYS)})"
                            f", got {type(doc).__name__}")
    for key in doc:
        if key not in TOP_LEVEL_KEYS:
            raise ScenarioError(source, str(key), "unknown top-level key"
                                f"{suggest(str(key), TOP_LEVEL_KEYS)}; allowed: "
                                + ", ".join(TOP_LEVEL_KEYS))
    if "name" not in doc:
        raise ScenarioError(source, "name", "missing; every scenario needs a name")
    name = _name(source, "name", doc["name"])
    description = doc.get("description") or ""
    if not isinstance(description, str):
        raise ScenarioError(source, "description", f"{excerpt(description)} is not text")
    horizon = _integer(source, "horizon_months", doc.get("horizon_months", DEFAULT_HORIZON_MONTHS),
                       *_range_of("simulation.horizon_months"))
    replications = _integer(source, "replications",
                            doc.get("replications", DEFAULT_REPLICATIONS), 1, MAX_REPLICATIONS)
    seed = _integer(source, "seed", doc.get("seed", DEFAULT_SEED), 0, 2**63 - 1)

    base = validate_overrides(source, "base", doc.get("base"))
    strategies = _strategies(source, "strategies", doc.get("strategies"))
    arms = _arms(source, doc.get("arms"))
    outputs = _outputs(source, doc.get("outputs"), outcome_names)
    scenario = Scenario(
        name=name, description=description.strip(), horizon_months=horizon,
        replications=replications, seed=seed, base=base, arms=arms, design=None,
        strategies=strategies, outputs=outputs, source=source,
    )
    for arm in arms:  # every arm must make a valid parameter set
        try:
            scenario.params_for(arm)
        except ParamError as exc:
            where = f"arms.{arm}.{exc.key}" if exc.key in arms[arm] else _where(scenario, exc.key)
            raise ScenarioError(source, where, _problem(exc)) from None
    if "horizon_months" not in doc and "simulation.horizon_months" in base:
        scenario = replace(scenario, horizon_months=base["simulation.horizon_months"])
    if doc.get("design") is not None:
        scenario = replace(scenario, design=_design(source, doc["design"]))
        _check_design_against_arms(source, scenario)
    _check_run_count(source, scenario)
    # Monthly series cost ~15 numbers × horizon per run; big designs keep summaries only.
    scenario.outputs.setdefault("series", scenario.design is None)
    # the event log (careers, service histories) likewise: on for runs, off for designs
    scenario.outputs.setdefault("events", scenario.design is None)
    return scenario


def _check_run_count(source: str, scenario: Scenario) -> None:
    """Refuse a scenario past the hard cap on runs (before any design point is built)."""
    points, runs = scenario.design_point_count(), scenario.run_count()
    if runs > MAX_RUNS:
        where = "design" if scenario.design is not None else "replications"
        raise ScenarioError(source, where, f"{runs:,} runs ({points:,} design points × "
                            f"{len(scenario.arms)} arms × {scenario.replications} replications) "
                            f"is more than the {MAX_RUNS:,} a scenario may have; use fewer "
                            "levels, samples, arms or replications")


def _check_design_against_arms(source: str, scenario: Scenario) -> None:
    """A design value would silently overwrite an arm's setting: refuse it."""
    assert scenario.design is not None
    for name in scenario.design.parameters:
        for arm, overrides in scenario.arms.items():
            if name in overrides:
                raise ScenarioError(source, f"design.parameters.{name}", f"also set by arm "
                                    f"'{arm}'; the design would overwrite it — vary it in the "
                                    "design or in the arms, not both")


def _where(scenario: Scenario, key: str) -> str:
    if key in scenario.strategies:
        return "strategies." + key.removeprefix("strategies.")
    return f"base.{key}"


def _problem(exc: ParamError) -> str:
    if exc.unknown:
        return f"unknown parameter{exc.hint}; expected {exc.allowed}"
    return f"{excerpt(exc.value)} is not allowed; expected {exc.allowed}"


def _range_of(name: str) -> tuple[int, int]:
    s = param_spec(name)
    return int(s.min or 0), int(s.max or 0)


def _integer(source: str, key: str, value: Any, lo: int, hi: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ScenarioError(source, key, f"{excerpt(value)}"
                            f" is not allowed; expected a whole number "
                            f"from {lo} to {hi}")
    if not lo <= value <= hi:
        raise ScenarioError(source, key, f"{excerpt(value)}"
                            f" is out of range; expected a whole number "
                            f"from {lo} to {hi}")
    return value


def _name(source: str, key: str, value: Any) -> str:
    if not isinstance(value, str) or not _NAME_RE.match(value):
        raise ScenarioError(source, key, f"{excerpt(value)} is not allowed; expected 1–80 letters, "
                            "digits, '-', '_' or '.', starting with a letter or digit")
    return value


def flatten(mapping: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """``{"a": {"b": 1}}`` → ``{"a.b": 1}``; dotted keys pass through."""
    flat: dict[str, Any] = {}
    for key, value in mapping.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping) and not _is_param(name):
            flat.update(flatten(value, name + "."))
        else:
            flat[name] = value
    return flat


def _is_param(name: str) -> bool:
    return any(s.name == name for s in param_specs())


def validate_overrides(source: str, key: str, value: Any) -> dict[str, Any]:
    """The one check of a mapping of parameter overrides (scenarios, targets, lessons): every
    name known (with a "did you mean"), every value allowed. Nested mappings are flattened to
    dotted names. Returns the flat overrides; raises :class:`ScenarioError` naming
    ``key.<name>``."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ScenarioError(source, key, f"{excerpt(value)} is not allowed; expected a mapping "
                            f"of parameter: value, got {type(value).__name__}")
    flat = flatten(value)
    strategies = {k: v for k, v in flat.items() if k.startswith("strategies.")}
    plain = {k: v for k, v in flat.items() if k not in strategies}
    for name, val in plain.items():
        try:
            Params.from_overrides({name: val})
        except ParamError as exc:
            raise ScenarioError(source, f"{key}.{name}", _problem(exc)) from None
    for name, val in strategies.items():
        try:
            Params.from_overrides({name: val})
        except ParamError as exc:
            raise ScenarioError(source, f"{key}.{name}", _problem(exc)) from None
    return {**plain, **strategies}


def _strategies(source: str, key: str, value: Any) -> dict[str, Any]:
    """``{booster_consultation: {start_month: 18}}`` → enabled + dotted overrides."""
    if value is None:
        return {}
    known = strategy_names()
    if not isinstance(value, Mapping):
        raise ScenarioError(source, key, "expected a mapping of strategy: settings; strategies: "
                            + ", ".join(known))
    flat: dict[str, Any] = {}
    for strategy, settings in value.items():
        where = f"{key}.{strategy}"
        if strategy not in known:
            hint = suggest(str(strategy), known)
            raise ScenarioError(source, where, f"unknown strategy{hint}; available: "
                                + ", ".join(known))
        if isinstance(settings, bool):
            flat[f"strategies.{strategy}.enabled"] = settings
            continue
        if settings is None:
            settings = {}
        if not isinstance(settings, Mapping):
            raise ScenarioError(source, where, f"{excerpt(settings)}"
                                f" is not allowed; expected true, "
                                "false or a mapping of the strategy's settings")
        fields = strategy_params_group(strategy).model_fields
        flat[f"strategies.{strategy}.enabled"] = settings.get("enabled", True)
        for name, val in settings.items():
            if name not in fields:
                raise ScenarioError(source, f"{where}.{name}", "unknown setting"
                                    f"{suggest(str(name), list(fields))}; allowed: "
                                    + ", ".join(fields))
            full = f"strategies.{strategy}.{name}"
            try:
                Params.from_overrides({full: val})
            except ParamError as exc:
                raise ScenarioError(source, f"{where}.{name}", _problem(exc)) from None
            flat[full] = val
    return flat


def _arms(source: str, value: Any) -> dict[str, dict[str, Any]]:
    if value is None:
        return {DEFAULT_ARM: {}}
    if not isinstance(value, Mapping) or not value:
        raise ScenarioError(source, "arms", "expected a non-empty mapping of arm name: overrides")
    arms: dict[str, dict[str, Any]] = {}
    for arm, overrides in value.items():
        name = _name(source, f"arms.{arm}", str(arm))
        overrides = overrides or {}
        if not isinstance(overrides, Mapping):
            raise ScenarioError(source, f"arms.{arm}", f"{excerpt(overrides)}"
                                f" is not allowed; expected "
                                "a mapping of parameter: value")
        nested = overrides.get("strategies") if isinstance(overrides.get("strategies"), Mapping) \
            else None
        rest = {k: v for k, v in overrides.items() if not (k == "strategies" and nested)}
        flat = validate_overrides(source, f"arms.{arm}", rest)
        if nested is not None:
            flat.update(_strategies(source, f"arms.{arm}.strategies", nested))
        arms[name] = flat
    return arms


def _outputs(source: str, value: Any, outcome_names: Collection[str] | None
             ) -> dict[str, Any]:
    """Validated ``outputs``; ``series`` is filled in by :func:`parse_scenario`."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ScenarioError(source, "outputs", f"{excerpt(value)} is not allowed; expected a "
                            "mapping with keys " + ", ".join(OUTPUT_KEYS)
                            + " (e.g. outputs: {series: false, outcomes: [adoption]})")
    out: dict[str, Any] = {}
    for key, val in value.items():
        if key not in OUTPUT_KEYS:
            raise ScenarioError(source, f"outputs.{key}", f"unknown key"
                                f"{suggest(str(key), OUTPUT_KEYS)}; allowed: "
                                + ", ".join(OUTPUT_KEYS))
        if key in ("series", "events") and not isinstance(val, bool):
            raise ScenarioError(source, f"outputs.{key}", f"{excerpt(val)} is not allowed; "
                                "expected true or false")
        if key == "outcomes":
            _outcome_names(source, val, outcome_names)
        out[key] = val
    return out


def _outcome_names(source: str, value: Any, outcome_names: Collection[str] | None) -> None:
    """``outputs.outcomes``: a list of outcome names; with ``outcome_names`` each unknown one
    is named (with a "did you mean")."""
    known = list(outcome_names or [])
    listing = ": " + ", ".join(known) if known else ""
    if not isinstance(value, list) or not value:
        raise ScenarioError(source, "outputs.outcomes", f"{excerpt(value)} is not allowed; "
                            f"expected a list of outcome names{listing}")
    for i, name in enumerate(value):
        if not isinstance(name, str) or not name:
            raise ScenarioError(source, f"outputs.outcomes[{i}]", f"{excerpt(name)} is not "
                                f"allowed; expected an outcome name{listing}")
        if outcome_names is not None and name not in outcome_names:
            raise ScenarioError(source, f"outputs.outcomes[{i}]", f"unknown outcome "
                                f"{excerpt(name)}{suggest(str(name), known)}; available: "
                                + ", ".join(known))


def _design(source: str, value: Any) -> DesignSpec:
    if not isinstance(value, Mapping):
        raise ScenarioError(source, "design", "expected a mapping with keys: "
                            + ", ".join(DESIGN_KEYS))
    for key in value:
        if key not in DESIGN_KEYS:
            raise ScenarioError(source, f"design.{key}", "unknown key"
                                f"{suggest(str(key), DESIGN_KEYS)}; allowed: "
                                + ", ".join(DESIGN_KEYS))
    method = value.get("method")
    if method not in DESIGN_METHODS:
        raise ScenarioError(source, "design.method", f"{excerpt(method)}"
                            f" is not allowed; expected one "
                            "of " + ", ".join(DESIGN_METHODS))
    samples = _integer(source, "design.samples", value.get("samples", 16), 1, 1_000_000)
    if method == "sobol" and samples & (samples - 1):
        low = 1 << (samples.bit_length() - 1)
        raise ScenarioError(source, "design.samples", f"{samples} is not allowed for sobol; "
                            f"expected a power of 2 (e.g. {low} or {low * 2}) so that Sobol' "
                            "points keep their balance")
    levels = value.get("levels")
    if levels is not None:
        levels = _integer(source, "design.levels", levels, 2, 100)
    if method == "morris":  # SALib's default grid; stated so sampling and analysis agree
        levels = 4 if levels is None else levels
        if levels % 2 or levels < 4:
            raise ScenarioError(source, "design.levels", f"{levels} is not allowed for morris; "
                                "expected an even number of levels, at least 4")
    seed = value.get("seed")
    if seed is not None:
        seed = _integer(source, "design.seed", seed, 0, 2**63 - 1)
    params = value.get("parameters")
    if not isinstance(params, Mapping) or not params:
        raise ScenarioError(source, "design.parameters", "expected a mapping of parameter: "
                            "[low, high] (or a list of values for grid)")
    checked: dict[str, Any] = {}
    for name, bounds in flatten(params).items():
        where = f"design.parameters.{name}"
        try:
            spec = param_spec(name)
        except ParamError as exc:
            raise ScenarioError(source, where, _problem(exc)) from None
        checked[name] = _design_values(source, where, spec, bounds, method)
    if method in ("sobol", "morris") and len(checked) < 2:
        raise ScenarioError(source, "design.parameters", f"{method} needs at least 2 parameters")
    return DesignSpec(method=method, samples=samples, parameters=checked, levels=levels,
                      seed=seed, kinds=_design_kinds(source, value.get("kinds"), checked))


def _design_kinds(source: str, value: Any, parameters: Mapping[str, Any]) -> dict[str, str] | None:
    """``design.kinds``: per-parameter lever/uncertainty overrides of the schema's kind."""
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise ScenarioError(source, "design.kinds", "expected a mapping of parameter: "
                            + " | ".join(PARAMETER_KINDS))
    kinds: dict[str, str] = {}
    for name, kind in flatten(value).items():
        where = f"design.kinds.{name}"
        if name not in parameters:
            raise ScenarioError(source, where, "not a design parameter"
                                f"{suggest(name, list(parameters))}; allowed: "
                                + ", ".join(parameters))
        if kind not in PARAMETER_KINDS:
            raise ScenarioError(source, where, f"{excerpt(kind)} is not allowed; expected one of "
                                + ", ".join(PARAMETER_KINDS))
        kinds[name] = kind
    return kinds


def _design_values(source: str, where: str, spec, bounds: Any, method: str) -> list[Any]:
    if not isinstance(bounds, list | tuple) or not bounds:
        raise ScenarioError(source, where, f"{excerpt(bounds)}"
                            f" is not allowed; expected [low, high]")
    if method == "grid" and (len(bounds) != 2 or not spec.is_numeric):
        for v in bounds:  # explicit levels
            try:
                Params.from_overrides({spec.name: v})
            except ParamError:
                raise ScenarioError(source, where, f"level {excerpt(v)} is not allowed; expected "
                                    f"{spec.allowed()}") from None
        return list(bounds)
    if not spec.is_numeric:
        raise ScenarioError(source, where, f"{spec.type} parameters can only be varied in a grid "
                            "with explicit levels")
    if len(bounds) != 2 or not all(isinstance(b, int | float) and not isinstance(b, bool)
                                   for b in bounds):
        raise ScenarioError(source, where, f"{excerpt(list(bounds))}"
                            f" is not allowed; expected [low, "
                            "high] numbers")
    lo, hi = float(bounds[0]), float(bounds[1])
    if lo >= hi:
        raise ScenarioError(source, where, f"low {lo:g} must be below high {hi:g}")
    if (spec.min is not None and lo < spec.min) or (spec.max is not None and hi > spec.max):
        raise ScenarioError(source, where, f"[{lo:g}, {hi:g}] is outside the allowed range; "
                            f"expected {spec.allowed()}")
    return [lo, hi]
