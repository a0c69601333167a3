"""Every SQL string cskpi builds interpolates only quoted or internal values.

An AST walk over ``src/cskpi``: each f-string (or ``+`` / ``.format`` / ``.join``) that
looks like SQL or flows into ``run()``/``rows()``/``one()``/``.execute()``/``.sql()`` may
interpolate only

- values quoted for SQL: ``ident(...)``, ``lit(...)``, ``file_path(...)``, numbers
  (``int(...)``, ``len(...)``), string literals, other checked f-strings;
- local variables assigned only such values (followed through assignments, loops and
  comprehensions), and module constants that are such values;
- a function's parameters: the parameter is then checked at every call of the function,
  across files (``Reporter.rows(source, where)``, ``convert.typed(col, v, tz)`` …), and
  the calls of a function of ours that returns SQL are safe when the arguments it
  builds that SQL from are;
- what ``ALLOWED`` lists for the file, each with the reason it cannot come from a file or
  a user: attributes holding SQL built elsewhere, our own constants imported from other
  modules, SQL compiled by Ibis, numbers and dates read from our own tables.

A new interpolation of anything else (a header, a file name, a cell, a setting) fails
here with its file, line and expression.  Bind it as a parameter or quote it instead.
"""

from __future__ import annotations

import ast
import functools
import re
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cskpi.data.sql import file_path, ident, lit

SRC = Path(__file__).resolve().parents[2] / "src" / "cskpi"

# quoting helpers: whatever they are given, the result is safe to paste into SQL
QUOTING = {"ident", "lit", "file_path"}
# they return numbers (or raise): safe whatever they are given
NUMERIC = {"int", "len", "float", "round", "abs", "range"}
# methods whose result holds no quote whatever they are called on (dates, digests)
SAFE_METHODS = {"isoformat", "hexdigest"}
SINK_FUNCTIONS = {"run": 1, "rows": 1, "one": 1}  # name -> index of the SQL argument
SINK_METHODS = {"execute", "executemany", "sql", "raw_sql", "query"}
STRING_METHODS = {"replace", "strip", "lstrip", "rstrip", "lower", "upper", "removeprefix",
                  "removesuffix"}
# (upper case: the words of SQL as cskpi writes it, not of its English messages)
# files whose upper-case words are not SQL (their sinks are still checked)
NOT_SQL = {
    "docs.py": "Markdown pages",
    "reports/excel.py": "Excel formulas (=IF(...)) of cell references computed there",
}
SQL_WORDS = re.compile(
    r"\b(SELECT|FROM|WHERE|INSERT|UPDATE|DELETE|CREATE|DROP|ALTER|ATTACH|DETACH|COPY|"
    r"SET|CAST|TRY_CAST|CASE|WHEN|THEN|ELSE|END|NULLIF|COALESCE|VALUES|JOIN|UNION|USING|"
    r"DESCRIBE|PRAGMA|LIKE|ESCAPE|BETWEEN|LIMIT|OFFSET|ORDER BY|GROUP BY|HAVING|DISTINCT|"
    r"EXISTS|IN|IS|NOT|AND|OR|AS|ON|NULL|MACRO|VIEW|TABLE|INTERVAL|TIMESTAMPTZ|TIMESTAMP|"
    r"DATE|VARCHAR|BIGINT|INTEGER|DOUBLE|DECIMAL|BOOLEAN)\b"
    r"|\b(regexp_\w+|read_csv|read_parquet|timezone|epoch_us|make_timestamp|trim|lower|"
    r"count|struct_pack|string_agg|date_trunc|from_utc_timestamp)\(")

# Per file: interpolated expressions (as ``ast.unparse`` writes them) or called helpers
# that are safe there, and why.  Entries that no longer occur fail the test, so the list
# stays as short as the code.
ALLOWED: dict[str, dict[str, str]] = {
    # key: "function: expression" (or "expression" for the whole file)
    "data/sql.py": {
        "run: sql": "run()/rows()/one() pass their caller's SQL on: checked at each call",
        "rows: sql": "(as run)",
        "one: sql": "(as run)",
    },
    "data/validate.py": {
        "where_rows: self.row_col": "'_row' or '(rowid + 2)', set by type_table",
        "type_table: raw.row_expr": "'_row' or '(rowid + 2)', set by the readers",
        "type_table: raw.source": "the reader's query, checked in readers.py",
        "convert.SQL_TYPES": "the contract's SQL type names (convert.py constants)",
        "written_cells: staged.cells_sql": "type_table's selection of the flagged cells as "
                                           "written: ident()s from the reader's query",
    },
    "data/report.py": {
        "count: where": "a check's condition, given to Checks.rows: checked at each call as "
                        "Reporter.rows' (a call obj.rows(...) is matched to every rows method)",
        "count: source": "(as where): a check's source",
        "report: check.source": "(as count: where)",
        "report: check.where": "(as count: where)",
        "report: check.values": "(as count: where)",
        "report: check.examples": "(as count: where): a check's source of examples",
    },
    "data/checks.py": {
        "staged.physical": "ident() of the typed table (validate._physical_name)",
        "MAX_EXAMPLES": "an int constant of report.py",
    },
    "data/sessions.py": {
        "msgs.physical": "ident() of the typed table (validate._physical_name)",
    },
    "store/workspace.py": {
        "CONTRACT_VERSION": "the contract version, an int constant of schema.py",
    },
    "metrics/cache.py": {
        "FACT_COLUMNS": "the cache's column-name constants (engine.py's names)",
        "E.DAY_SUMS": "engine.py's column-name constants",
        "_order_columns: c.name": "the contract's column names (schema.py)",
        "SQL_TYPES": "the contract's SQL type names (convert.py constants)",
        "_refresh: state[0]": "int: the import id read from _facts_state",
        "_changes: since": "int: the import id of the state (int(...) in cached())",
        "_rebuild_months: first": "a DATE read from the cache's own month column",
        "_rebuild_months: last": "month_end() of a DATE read from the cache's month column",
        "compile_sql": "SQL compiled by Ibis from expressions (sqlglot quotes literals)",
    },
    "metrics/compiled.py": {
        "put: self.KEEP": "a class constant (256)",
    },
    "metrics/inputs.py": {
        "_select_list: utc(col.name)": "utc/local: lambdas of this file quoting with ident()",
        "_select_list: local(col.name)": "(as utc)",
        "__call__: self.PREFIX": "a class constant name prefix",
        "__call__: columns": "ident() of Ibis's column names with the SQL types "
                             "ibis_adapter.sql_type spells",
        "release: name": "the names __call__ made: PREFIX + a hex digest",
        "compile_sql": "SQL compiled by Ibis from expressions (sqlglot quotes literals)",
        "TABLES": "the contract's table names (schema.py)",
        "<lambda>: c": "spark_inputs: a contract column name, quoted with backticks",
        "<lambda>: tz": "spark_inputs: the workspace's zone, a key check_timezone accepted "
                        "(letters, digits, _ + - /); Spark SQL has no lit()",
    },
    "qa/engine.py": {
        "compile_sql": "SQL compiled by Ibis from expressions (sqlglot quotes literals)",
    },
    "qa/cache.py": {
        "found: new": "the quoted name of the temp table the engine's find() made "
                      "(_Sql.table: ident() of a fixed tag and name)",
    },
    "web/migrations/versions/0003_token_lifetimes.py": {
        "sa.column('expires_at', sa.DateTime)": "a SQLAlchemy expression (table().update()), "
                                                "not text",
    },
    "metrics/localtime.py": {
        "local_sql: start": "int microseconds from fixed_span(), computed from dates",
        "local_sql: end": "(as start)",
        "local_sql: off": "(as start)",
    },
}


@dataclass(frozen=True)
class Finding:
    file: str
    line: int
    expr: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.expr}"


@dataclass
class Scope:
    """The assignments of one function (or of the module), and its parameters."""

    function: str = "<module>"
    assigned: dict[str, list[ast.expr]] = field(default_factory=dict)
    params: list[str] = field(default_factory=list)
    anonymous: bool = False  # a lambda: its parameters have no call sites to check


@dataclass
class Function:
    """A function of src/cskpi as the guard knows it across files."""

    name: str
    params: list[str]
    node: ast.FunctionDef | ast.AsyncFunctionDef
    sql_params: set[str] = field(default_factory=set)  # reach SQL: callers must quote them
    returns_sql: bool = True  # what it returns is safe SQL, given safe arguments for …
    returns_from: set[str] = field(default_factory=set)  # … these parameters


NUMBER = ast.Constant(0)  # what an index of enumerate() or a range() element is


def _targets(target: ast.expr, value: ast.expr, out: dict[str, list[ast.expr]]) -> None:
    """Record what each name of ``target`` is assigned (an element of a collection counts
    as the collection: it is safe when the whole is)."""
    if isinstance(target, ast.Name):
        out.setdefault(target.id, []).append(value)
    elif isinstance(target, ast.Tuple | ast.List):
        func = value.func.id if isinstance(value, ast.Call) and \
            isinstance(value.func, ast.Name) else ""
        if isinstance(value, ast.Tuple | ast.List) and len(value.elts) == len(target.elts):
            pairs = list(zip(target.elts, value.elts, strict=True))
        elif func == "enumerate" and len(target.elts) == 2 and value.args:
            pairs = [(target.elts[0], NUMBER), (target.elts[1], value.args[0])]
        elif func == "zip" and len(target.elts) == len(value.args):
            pairs = list(zip(target.elts, value.args, strict=True))
        else:
            pairs = [(element, value) for element in target.elts]
        for element, part in pairs:
            _targets(element, part, out)
    elif isinstance(target, ast.Starred):
        _targets(target.value, value, out)


def _collect(body: ast.AST, scope: Scope) -> None:
    for node in ast.walk(body):
        if isinstance(node, ast.Assign):
            for target in node.targets:
                _targets(target, node.value, scope.assigned)
        elif isinstance(node, ast.AnnAssign | ast.AugAssign) and node.value is not None:
            _targets(node.target, node.value, scope.assigned)
        elif isinstance(node, ast.For | ast.comprehension):
            _targets(node.target, node.iter, scope.assigned)
        elif isinstance(node, ast.NamedExpr):
            _targets(node.target, node.value, scope.assigned)
        elif isinstance(node, ast.withitem) and node.optional_vars is not None:
            _targets(node.optional_vars, node.context_expr, scope.assigned)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and \
                node.func.attr in ("append", "extend", "insert") and node.args and \
                isinstance(node.func.value, ast.Name):
            # an element added to a list: the list is safe when every element is
            scope.assigned.setdefault(node.func.value.id, []).append(node.args[-1])


def _params(node: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda) -> list[str]:
    args = node.args
    return [a.arg for a in (*args.posonlyargs, *args.args, *args.kwonlyargs)]


class Project:
    """Every function of src/cskpi: ``f(...)`` is matched to the function ``f`` of the
    same file or the module it was imported from, ``module.f(...)`` to ``f`` of that
    module of ours, ``obj.f(...)`` to every method named ``f``."""

    def __init__(self, trees: dict[str, ast.Module]) -> None:
        self.trees = trees
        self.functions: dict[tuple[str, str], list[Function]] = {}  # (module, name)
        self.methods: dict[str, list[Function]] = {}
        self.nested: dict[ast.AST, Function] = {}
        # file -> local name -> the module of ours it is (or comes from): its file stem
        self.imports: dict[str, dict[str, str]] = {}
        self.module_aliases: dict[str, set[str]] = {}
        self.stems = {rel: Path(rel).stem for rel in trees}
        stems = set(self.stems.values())
        for rel, tree in trees.items():
            stem = self.stems[rel]
            names = self.imports[rel] = {}
            aliases = self.module_aliases[rel] = set()
            for node in ast.walk(tree):
                if isinstance(node, ast.ImportFrom) and (node.level or (node.module or "")
                                                         .startswith("cskpi")):
                    source = (node.module or "").split(".")[-1]
                    for alias in node.names:
                        local = alias.asname or alias.name
                        if alias.name in stems:
                            names[local] = alias.name  # a module of ours
                            aliases.add(local)
                        else:
                            names[local] = source  # a function of that module
            for node in tree.body:
                self._index(node, stem)

    def _index(self, node: ast.AST, stem: str) -> None:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            function = Function(node.name, _params(node), node)
            self.functions.setdefault((stem, node.name), []).append(function)
            self._nest(node, function)
        elif isinstance(node, ast.ClassDef):
            for item in node.body:
                if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef):
                    method = Function(item.name, _params(item), item)
                    self.methods.setdefault(item.name, []).append(method)
                    self._nest(item, method)

    def _nest(self, node: ast.AST, function: Function) -> None:
        self.nested[node] = function
        for inner in ast.walk(node):
            if inner is not node and isinstance(inner, ast.FunctionDef | ast.AsyncFunctionDef):
                self.nested.setdefault(inner, Function(inner.name, _params(inner), inner))

    def callees(self, call: ast.Call, rel: str) -> list[Function]:
        func = call.func
        if isinstance(func, ast.Name):
            module = self.imports[rel].get(func.id, self.stems[rel])
            return self.functions.get((module, func.id), [])
        if isinstance(func, ast.Attribute):
            if isinstance(func.value, ast.Name) and func.value.id in self.module_aliases[rel]:
                module = self.imports[rel][func.value.id]
                return self.functions.get((module, func.attr), [])
            return self.methods.get(func.attr, [])
        return []

    @functools.cache  # noqa: B019 - one Project per scan
    def module_scope(self, rel: str) -> Scope:
        scope = Scope()
        for node in self.trees[rel].body:
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                _collect(node, scope)
        return scope

    @functools.cache  # noqa: B019 - one Project per scan
    def events(self, rel: str) -> list[tuple[object, ...]]:
        """The file in order: each function entered (its scope and returns) and left,
        and every node looked at with its scope; made once, replayed each round."""
        out: list[tuple[object, ...]] = []

        def visit(body: ast.AST, scope: Scope) -> None:
            for node in ast.iter_child_nodes(body):
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
                    name = getattr(node, "name", "<lambda>")
                    inner = Scope(name, params=_params(node), anonymous=name == "<lambda>")
                    _collect(node, inner)
                    returns = [r.value for r in ast.walk(node)
                               if isinstance(r, ast.Return) and r.value is not None]
                    function = None if inner.anonymous else self.nested[node]
                    out.append(("enter", function, inner, returns))
                    visit(node, inner)
                    out.append(("leave", None, None, None))
                    continue
                if isinstance(node, ast.JoinedStr | ast.BinOp | ast.Call):
                    out.append(("look", node, scope, None))
                visit(node, scope)

        visit(self.trees[rel], self.module_scope(rel))
        return out

    def state(self) -> tuple[object, ...]:
        return tuple((f.name, tuple(sorted(f.sql_params)), f.returns_sql,
                      tuple(sorted(f.returns_from))) for f in self.nested.values())


class Checker:
    def __init__(self, project: Project, rel: str, tree: ast.Module) -> None:
        self.project = project
        self.rel = rel
        self.tree = tree
        self.allowed = ALLOWED.get(rel, {})
        self.used: set[str] = set()
        self.module = project.module_scope(rel)
        self.findings: list[Finding] = []
        self.current: Function | None = None
        # while judging what a function returns: the parameters it returns from
        self.returning: set[str] | None = None
        self.memo: dict[tuple[int, int, bool], bool] = {}

    def allow(self, scope: Scope, text: str) -> bool:
        for key in (f"{scope.function}: {text}", text):
            if key in self.allowed:
                self.used.add(key)
                return True
        return False

    def safe(self, node: ast.expr, scope: Scope, seen: frozenset[str] = frozenset()) -> bool:
        """Whether the SQL text ``node`` evaluates to is quoted or internal."""
        key = (id(node), id(scope), self.returning is None)
        if key not in self.memo:
            self.memo[key] = self._safe(node, scope, seen)
        return self.memo[key]

    def _safe(self, node: ast.expr, scope: Scope, seen: frozenset[str]) -> bool:
        if isinstance(node, ast.Name):
            return self.safe_name(node.id, scope, seen)
        if self.allow(scope, ast.unparse(node)):
            return True
        match node:
            case ast.Constant():
                return True
            case ast.JoinedStr():
                return all(self.safe(v.value, scope, seen) for v in node.values
                           if isinstance(v, ast.FormattedValue))
            case ast.BinOp():
                return self.safe(node.left, scope, seen) and self.safe(node.right, scope, seen)
            case ast.BoolOp():
                return all(self.safe(v, scope, seen) for v in node.values)
            case ast.IfExp():
                return self.safe(node.body, scope, seen) and self.safe(node.orelse, scope, seen)
            case ast.Dict():
                return all(self.safe(v, scope, seen) for v in (*node.keys, *node.values)
                           if v is not None)
            case ast.Tuple() | ast.List() | ast.Set():
                return all(self.safe(e, scope, seen) for e in node.elts)
            case ast.GeneratorExp() | ast.ListComp() | ast.SetComp():
                return self.safe(node.elt, scope, seen)
            case ast.Starred():
                return self.safe(node.value, scope, seen)
            case ast.Subscript():
                return self.safe(node.value, scope, seen)
            case ast.Call():
                return self.safe_call(node, scope, seen)
        return False

    def safe_call(self, node: ast.Call, scope: Scope, seen: frozenset[str]) -> bool:
        func = node.func
        name = func.id if isinstance(func, ast.Name) else \
            func.attr if isinstance(func, ast.Attribute) else ""
        if name in QUOTING or name in NUMERIC or \
                (isinstance(func, ast.Attribute) and name in SAFE_METHODS):
            return True
        if self.allow(scope, ast.unparse(func)):
            return True
        args = [*node.args, *(k.value for k in node.keywords)]
        if name in ("str", "tuple", "list", "sorted"):
            return all(self.safe(a, scope, seen) for a in args)
        if isinstance(func, ast.Attribute):
            if name in ("join", "format") or name in STRING_METHODS:
                return self.safe(func.value, scope, seen) and \
                    all(self.safe(a, scope, seen) for a in args)
            if name in ("items", "keys", "values") and not args:
                return self.safe(func.value, scope, seen)
        # a function of ours that returns SQL made of the arguments it is given
        callees = self.project.callees(node, self.rel)
        if not callees or not all(f.returns_sql for f in callees):
            return False
        for callee in callees:
            given = self.arguments(callee, node)
            if not all(self.safe(given[p], scope, seen) for p in callee.returns_from
                       if p in given):
                return False
        return True

    @staticmethod
    def arguments(callee: Function, call: ast.Call) -> dict[str, ast.expr]:
        """Parameter -> argument of a call (``self`` left out for a method's call)."""
        params = callee.params
        if isinstance(call.func, ast.Attribute) and params[:1] in (["self"], ["cls"]):
            params = params[1:]
        given = dict(zip(params, call.args, strict=False))
        given |= {k.arg: k.value for k in call.keywords if k.arg}
        return given

    def safe_name(self, name: str, scope: Scope, seen: frozenset[str]) -> bool:
        """A variable by what it is assigned; a parameter is safe here and checked at the
        calls; an import or a global only by ``ALLOWED``."""
        if name in seen:
            return True  # a loop of assignments: judged by its other values
        if self.allow(scope, name):
            return True
        if name in scope.params:
            if scope.anonymous or self.current is None:
                return False
            if self.returning is not None:
                self.returning.add(name)
            else:
                self.current.sql_params.add(name)
            values = scope.assigned.get(name, [])
            return all(self.safe(v, scope, seen | {name}) for v in values)
        for where in (scope, self.module):
            values = where.assigned.get(name)
            if values:
                return all(self.safe(v, where, seen | {name}) for v in values)
        return False

    # --- where SQL is built ---------------------------------------------------------------

    def report(self, node: ast.expr) -> None:
        finding = Finding(self.rel, node.lineno, ast.unparse(node))
        if finding not in self.findings:
            self.findings.append(finding)

    def check(self, node: ast.expr, scope: Scope) -> None:
        for part in _interpolated(node):
            if not self.safe(part, scope):
                self.report(part)

    def require(self, node: ast.expr, scope: Scope) -> None:
        """``node`` goes into SQL: report it (or its unsafe parts)."""
        if isinstance(node, ast.JoinedStr | ast.BinOp):
            self.check(node, scope)
        elif not self.safe(node, scope):
            self.report(node)

    def run(self) -> None:
        stack: list[Function | None] = []
        for event in self.project.events(self.rel):
            match event:
                case ("enter", Function() as function, Scope() as inner, list() as returns):
                    stack.append(self.current)
                    self.current = function
                    self.returning = set()
                    function.returns_sql = bool(returns) and \
                        all(self.safe(r, inner) for r in returns)
                    function.returns_from = self.returning
                    self.returning = None
                case ("enter", None, Scope(), _):
                    stack.append(self.current)
                case ("leave", _, _, _):
                    self.current = stack.pop()
                case ("look", ast.AST() as node, Scope() as scope, _):
                    self._look(node, scope)

    def _look(self, node: ast.AST, scope: Scope) -> None:
        if isinstance(node, ast.JoinedStr | ast.BinOp) and self.rel not in NOT_SQL \
                and _looks_like_sql(node):
            self.check(node, scope)
        if not isinstance(node, ast.Call):
            return
        sql = _sink_argument(node)
        if sql is not None and _is_text(sql, scope):
            self.require(sql, scope)
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr == "format" and \
                isinstance(func.value, ast.Constant) and _looks_like_sql(func.value):
            for arg in [*node.args, *(k.value for k in node.keywords)]:
                if not self.safe(arg, scope):
                    self.report(arg)
        # the arguments our functions put into SQL
        for callee in self.project.callees(node, self.rel):
            given = self.arguments(callee, node)
            for param in callee.sql_params:
                arg = given.get(param)
                if arg is not None:
                    self.require(arg, scope)


def _interpolated(node: ast.expr) -> list[ast.expr]:
    """The non-literal parts of an f-string or a concatenation."""
    if isinstance(node, ast.JoinedStr):
        return [v.value for v in node.values if isinstance(v, ast.FormattedValue)]
    if isinstance(node, ast.BinOp):
        return [side for side in (node.left, node.right)
                if not isinstance(side, ast.Constant | ast.JoinedStr | ast.BinOp)]
    return []


def _literal_text(node: ast.AST) -> str:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(_literal_text(v) for v in node.values)
    if isinstance(node, ast.BinOp):
        return _literal_text(node.left) + " " + _literal_text(node.right)
    return ""


def _looks_like_sql(node: ast.AST) -> bool:
    if isinstance(node, ast.BinOp) and not isinstance(node.op, ast.Add | ast.Mod):
        return False
    return bool(SQL_WORDS.search(_literal_text(node)))


def _sink_argument(node: ast.Call) -> ast.expr | None:
    func = node.func
    index = None
    if isinstance(func, ast.Name) and func.id in SINK_FUNCTIONS:
        index = SINK_FUNCTIONS[func.id]
    elif isinstance(func, ast.Attribute) and func.attr in SINK_METHODS:
        index = 0
    if index is None or len(node.args) <= index:
        return None
    return node.args[index]


def _is_text(node: ast.expr, scope: Scope) -> bool:
    """Whether a sink's argument is SQL text (not an SQLAlchemy statement)."""
    if isinstance(node, ast.Constant | ast.JoinedStr | ast.BinOp):
        return True
    if isinstance(node, ast.Call):
        func = node.func
        return isinstance(func, ast.Attribute) and func.attr in ("format", "join")
    if isinstance(node, ast.Name):
        values = scope.assigned.get(node.id)
        if not values:
            return True  # a parameter or a global: text unless shown otherwise
        return any(_is_text(v, scope) for v in values)
    return False


def scan_all(sources: dict[str, str]) -> tuple[list[Finding], dict[str, set[str]]]:
    """The unsafe interpolations of the files ``sources`` (relative path -> text), and
    the ALLOWED entries each used.  Runs until what the functions pass on is stable."""
    trees = {rel: _parse(text) for rel, text in sources.items()}
    project = Project(trees)
    for _ in range(20):
        before = project.state()
        checkers = [Checker(project, rel, tree) for rel, tree in trees.items()]
        for checker in checkers:
            checker.run()
        if project.state() == before:
            break
    findings = [f for c in checkers for f in c.findings]
    return findings, {c.rel: c.used for c in checkers}


@functools.cache
def _parse(text: str) -> ast.Module:
    return ast.parse(text)


@functools.cache
def _project_sources() -> tuple[tuple[str, str], ...]:
    return tuple((p.relative_to(SRC).as_posix(), p.read_text(encoding="utf-8"))
                 for p in sorted(SRC.rglob("*.py")))


def project_sources() -> dict[str, str]:
    return dict(_project_sources())


def _unused() -> dict[str, str]:
    return {p.relative_to(SRC).as_posix(): p.read_text(encoding="utf-8")
            for p in sorted(SRC.rglob("*.py"))}


def scan(rel: str, source: str) -> list[Finding]:
    """The findings of ``source`` as the file ``rel`` (beside data/sql.py's helpers)."""
    findings, _ = scan_all({"data/sql.py": project_sources()["data/sql.py"], rel: source})
    return [f for f in findings if f.file == rel]


def test_every_sql_string_quotes_what_it_interpolates() -> None:
    findings, used = scan_all(project_sources())
    assert not findings, "unquoted values in SQL (bind them, or use ident()/lit()):\n" + \
        "\n".join(map(str, findings))
    stale = {f"{rel}: {entry}" for rel, entries in ALLOWED.items()
             for entry in entries if entry not in used.get(rel, set())}
    assert not stale, f"ALLOWED entries no longer needed: {sorted(stale)}"


def test_the_guard_catches_a_name_from_a_file() -> None:
    """The reader of version 1 pasted Parquet column names into SQL."""
    old = '''
def _read_parquet(con, raw):
    described = rows(con, "DESCRIBE SELECT * FROM read_parquet(?)", [str(raw.path)])
    raw.headers = [str(r[0]) for r in described]
    select = ", ".join(f'CAST("{h}" AS VARCHAR) AS c{i}' for i, h in enumerate(raw.headers))
    run(con, f"CREATE TEMP TABLE stage AS SELECT {select} FROM read_parquet(?)",
        [str(raw.path)])
'''
    found = scan("data/readers.py", old)
    assert [f.expr for f in found] == ["h", "select"]


@pytest.mark.parametrize("code", [
    'run(con, f"SELECT * FROM t WHERE name = \'{name}\'")',
    'con.execute("SELECT * FROM " + table)',
    'con.execute("SELECT {} FROM t".format(column))',
    'sql = f"SET TimeZone = \'{tz}\'"\n    run(con, sql)',
    'con.sql(f"COPY t TO \'{path}\'")',
])
def test_the_guard_catches_each_way_of_building_sql(code: str) -> None:
    found = scan("data/new.py", f"def f(con, name, table, column, tz, path):\n    {code}\n\n"
                                f"def g(con):\n    f(con, input(), input(), input(), input(), input())\n")
    assert found, code


@pytest.mark.parametrize("code", [
    'run(con, f"SELECT * FROM {ident(name)} WHERE x = {lit(value)}")',
    'run(con, "SELECT * FROM t WHERE name = ?", [name])',
    'cols = ", ".join(ident(c) for c in names)\n    run(con, f"SELECT {cols} FROM t")',
    'run(con, f"SELECT * FROM t LIMIT {int(n)}")',
])
def test_the_guard_accepts_quoted_and_bound_values(code: str) -> None:
    found = scan("data/new.py", f"def f(con, name, value, names, n):\n    {code}\n\n"
                                f"def g(con):\n    f(con, ident(input()), lit(input()), [ident(input())], 3)\n")
    assert not found, found


# --- the quoting helpers are enough -----------------------------------------------------------

hostile_text = st.text(st.characters(exclude_characters="\x00", codec="utf-8"), max_size=40) | \
    st.sampled_from(['"', '""', "'", "x\" AS c0, 1 AS \"y", "a'; DROP TABLE t; --", "\\",
                     "\\'", "--", "/*", "*/", "$$", "\n", "🙂", "名字"])


# a value may hold a NUL (a fuzzed file's cell did, in a warning kept by an import: the
# parser stopped there); a column name cannot
hostile_value = hostile_text | st.text(st.sampled_from(["\x00", "'", "a", "名"]), max_size=8)

_CON = duckdb.connect()  # one for every example: a connection costs more than the test


@settings(max_examples=150, deadline=None)
@given(name=hostile_text, value=hostile_value)
def test_ident_and_lit_round_trip_any_text(name: str, value: str) -> None:
    column = name or "x"  # (a column cannot be named with nothing at all)
    _CON.execute(f"CREATE OR REPLACE TEMP TABLE t ({ident(column)} VARCHAR)")
    _CON.execute(f"INSERT INTO t VALUES ({lit(value)})")
    assert _CON.execute("SELECT column_name FROM (DESCRIBE t)").fetchall() == [(column,)]
    assert _CON.execute(f"SELECT {ident(column)} FROM t").fetchall() == [(value,)]


def test_file_path_matches_only_its_own_file(tmp_path: Path) -> None:
    for folder in ("data*", "data[1]", "data?", "data-old", "data1"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "t.csv").write_text(f"name\n{folder}\n")
    con = duckdb.connect()
    for folder in ("data*", "data[1]", "data?"):
        got = con.execute("SELECT name FROM read_csv(?)",
                          [file_path(tmp_path / folder / "t.csv")]).fetchall()
        assert got == [(folder,)]
