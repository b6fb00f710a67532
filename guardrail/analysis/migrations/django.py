"""Django migrations, read from the Python syntax tree as their authors wrote them.

`operations` is read as Python builds it from literals: lists, tuples, `*starred` parts, `+`,
comprehensions over literal tuples, module constants (`MODEL = "order"`). Inside
`SeparateDatabaseAndState` only `database_operations` reach the database (state operations
are ignored). `RunSQL` bodies are read by the SQL reader. What cannot be worked out from the
file alone is a note (GR290) naming the construct and its line.

Operations name models; the database names tables. Each operation's `table` is the model's real
table, as SQL, `RunSQL` and the other checks name it: the model's `db_table` (from `options` in
this file, or the app's models), else Django's default `<app_label>_<model>` with the app label
from the app's `AppConfig.label` or its folder. `Op.model` keeps the model's name.
"""

from __future__ import annotations

import ast
import dataclasses
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field

from guardrail.analysis import pyast
from guardrail.analysis.migrations.ops import (
    ColumnDef,
    DjangoField,
    FieldEvent,
    Framework,
    Op,
    OpKind,
    Reading,
)
from guardrail.analysis.migrations.pyeval import UNKNOWN, Scope
from guardrail.analysis.migrations.python_ast import Recorder, Statement, definition, sql_of
from guardrail.analysis.pyast import call_name

FRAMEWORK = Framework(
    name="django",
    language="python",
    wraps_transaction=True,
    no_transaction="a migration with `atomic = False`",
    concurrent_index=(
        "`AddIndexConcurrently` (`django.contrib.postgres.operations`) in a migration with "
        "`atomic = False`"
    ),
    drop_index=(
        "`RemoveIndexConcurrently` (`django.contrib.postgres.operations`) in a migration with "
        "`atomic = False`"
    ),
    lock_timeout=(
        "`migrations.RunSQL(\"SET lock_timeout = '5s'\", migrations.RunSQL.noop)` as the first "
        "operation"
    ),
    batch=(
        "a `RunPython` function in a migration with `atomic = False` that updates one primary-key "
        "range at a time (`Model.objects.filter(pk__gte=lo, pk__lt=hi).update(...)`)"
    ),
    db_default="`db_default=` (Django 5.0 and later)",
    raw_sql='`migrations.RunSQL("{sql}", migrations.RunSQL.noop)`',
)

_FK = ("ForeignKey", "OneToOneField")
_MANY = ("ManyToManyField",)
_AUTO = ("AutoField", "BigAutoField", "SmallAutoField")  # always the primary key
_INDEX_OPS = {
    "AddIndex": (OpKind.CREATE_INDEX, False),
    "AddIndexConcurrently": (OpKind.CREATE_INDEX, True),
    "RemoveIndex": (OpKind.DROP_INDEX, False),
    "RemoveIndexConcurrently": (OpKind.DROP_INDEX, True),
}
# Operations that change only Django's state, or nothing a lock or a row notices.
_HARMLESS = frozenset(
    {
        "AlterModelOptions",
        "AlterModelManagers",
        "AlterModelTableComment",
        "RemoveConstraint",
        "RenameIndex",
        "CreateExtension",
        "BloomExtension",
        "BtreeGinExtension",
        "BtreeGistExtension",
        "CITextExtension",
        "CryptoExtension",
        "HStoreExtension",
        "TrigramExtension",
        "UnaccentExtension",
        "CreateCollation",
        "RemoveCollation",
        "AlterOrderWithRespectTo",
        "AlterIndexTogether",
        # Django 5.2: changes only a constraint's non-database attributes
        # (`BaseConstraint.non_db_attrs`: violation_error_code/_message); no SQL.
        "AlterConstraint",
    }
)


@dataclass(frozen=True)
class App:
    """What names an app's tables: its label and the `db_table` its models declare."""

    label: str | None = None  # None: unknown (tables are then named by the model alone)
    db_tables: Mapping[str, str] = field(default_factory=dict)  # model (lower) -> table

    def table(self, model: str, label: str | None = None) -> str:
        """The table of `model` (lower case) of this app, or of the app `label`."""
        if label is None or label == self.label:
            known = self.db_tables.get(model)
            if known:
                return known
            label = self.label
        return f"{label}_{model}" if label else model


def app_of(path: str) -> App:
    """The app of `<app>/migrations/<name>.py`, labelled by its folder (Django's default)."""
    head, sep, _ = path.rpartition("/migrations/")
    if not sep:
        head, sep, _ = path.rpartition("migrations/")
        if not sep or head:
            return App()
    return App(head.rsplit("/", 1)[-1] or None)


def app_config_label(source: str | None) -> str | None:
    """`label` of the `AppConfig` subclass in an app's `apps.py`, when it sets one literally."""
    if not source:
        return None
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return None
    for node in tree.body:
        if not isinstance(node, ast.ClassDef):
            continue
        if not any(call_name_of_base(b) == "AppConfig" for b in node.bases):
            continue
        label = _assigned_str(node.body, "label")
        if label is not None:
            return label
    return None


def _assigned_str(body: list[ast.stmt], name: str) -> str | None:
    """The string literal a class body assigns to `name` (`label = "shop"`), or None."""
    for stmt in body:
        if (
            isinstance(stmt, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == name for t in stmt.targets)
            and isinstance(stmt.value, ast.Constant)
            and isinstance(stmt.value.value, str)
        ):
            return stmt.value.value
    return None


def call_name_of_base(node: ast.expr) -> str:
    if isinstance(node, ast.Attribute):
        return node.attr
    return node.id if isinstance(node, ast.Name) else ""


@dataclass(frozen=True)
class Field:
    """What a Django field declaration says (`models.CharField(null=True, default=...)`)."""

    field: str = ""  # the field class: "CharField", "ForeignKey", …
    null: bool = False
    # Django fills the rows an AddField meets (its schema editor's effective default: `default=`
    # other than None, `blank=True` on a text field, `auto_now`), then drops the default: the
    # ORM applies it, the database keeps none.
    has_default: bool = False
    db_default: bool = False  # `db_default=` other than None: kept by the database
    primary_key: bool = False

    @property
    def many(self) -> bool:
        """A many-to-many field: a join table, no column."""
        return self.field in _MANY

    @property
    def pk(self) -> bool:
        return self.primary_key or self.field in _AUTO


# The PostgreSQL column type of Django's field classes, where two classes share one (the
# positive variants only add a CHECK constraint).
_COLUMN_TYPE = {
    "SmallIntegerField": "smallint",
    "PositiveSmallIntegerField": "smallint",
    "SmallAutoField": "smallint",
    "IntegerField": "integer",
    "PositiveIntegerField": "integer",
    "AutoField": "integer",
    "BigIntegerField": "bigint",
    "PositiveBigIntegerField": "bigint",
    "BigAutoField": "bigint",
    "CharField": "varchar",
    "SlugField": "varchar",
    "EmailField": "varchar",
    "URLField": "varchar",
    "FilePathField": "varchar",
    "FileField": "varchar",
    "ImageField": "varchar",
    "GenericIPAddressField": "inet",
    "TextField": "text",
    "ForeignKey": "fk",
    "OneToOneField": "fk",
}
# Changes PostgreSQL makes without rewriting the table (binary-coercible).
_NO_REWRITE = frozenset({("varchar", "text")})


def django_field_class(name: str) -> bool:
    """A field class of Django itself, whose column type guardrail knows."""
    return name in _PG_TYPE or name in _FK or name in _MANY or name == "ArrayField"


def same_column_type(before: str, after: str) -> bool:
    """True when an AlterField from field class `before` to `after` keeps the column's type,
    or changes it without a rewrite (varchar to text)."""
    if before == after:
        return True
    a, b = _COLUMN_TYPE.get(before), _COLUMN_TYPE.get(after)
    return a is not None and (a == b or (a, b) in _NO_REWRITE)


# The column type Django's PostgreSQL backend gives each field class
# (django/db/backends/postgresql/base.py `DatabaseWrapper.data_types`), as postgres.py names
# them; `{}` takes `max_length`, `numeric` takes `max_digits`/`decimal_places`.
_PG_TYPE = {
    "AutoField": "integer",
    "BigAutoField": "bigint",
    "SmallAutoField": "smallint",
    "BinaryField": "bytea",
    "BooleanField": "boolean",
    "NullBooleanField": "boolean",
    "CharField": "varchar{}",
    "SlugField": "varchar{}",
    "EmailField": "varchar{}",
    "URLField": "varchar{}",
    "FileField": "varchar{}",
    "ImageField": "varchar{}",
    "FilePathField": "varchar{}",
    "DateField": "date",
    "DateTimeField": "timestamptz",
    "TimeField": "time",
    "DurationField": "interval",
    "DecimalField": "numeric",
    "FloatField": "double precision",
    "IntegerField": "integer",
    "PositiveIntegerField": "integer",
    "BigIntegerField": "bigint",
    "PositiveBigIntegerField": "bigint",
    "SmallIntegerField": "smallint",
    "PositiveSmallIntegerField": "smallint",
    "IPAddressField": "inet",
    "GenericIPAddressField": "inet",
    "JSONField": "jsonb",
    "TextField": "text",
    "UUIDField": "uuid",
    "CICharField": "citext",
    "CIEmailField": "citext",
    "CITextField": "citext",
    "HStoreField": "hstore",
}
# `max_length` a field class has when none is given (its `__init__`).
_DEFAULT_LENGTH = {
    "SlugField": 50,
    "EmailField": 254,
    "URLField": 200,
    "FileField": 100,
    "ImageField": 100,
    "FilePathField": 100,
}


def column_type(node: ast.AST | None, scope: Scope) -> str:
    """The PostgreSQL type of a field call (`models.CharField(max_length=20)` -> `varchar(20)`,
    `ArrayField(models.IntegerField())` -> `integer[]`); a class Django's backend does not
    type (a project's own field) in lower case; empty for a foreign key (its target's key
    type) or anything else not known."""
    if not isinstance(node, ast.Call):
        return ""
    name = call_name(node)
    if name == "ArrayField":
        inner = column_type(_arg(node, 0, "base_field"), scope)
        return f"{inner}[]" if inner else ""
    if name in _FK or name in _MANY:
        return ""
    spelled = _PG_TYPE.get(name)
    if spelled is None:
        return name.lower()
    if spelled.endswith("{}"):
        length = scope.value(_keyword(node, "max_length"))
        length = _DEFAULT_LENGTH.get(name) if length is UNKNOWN else length
        return spelled.format(f"({length})" if isinstance(length, int) else "")
    if spelled == "numeric":
        digits = scope.value(_keyword(node, "max_digits"))
        places = scope.value(_keyword(node, "decimal_places"))
        if isinstance(digits, int) and isinstance(places, int):
            return f"numeric({digits},{places})"
    return spelled


def table_columns(fields: ast.AST | None, scope: Scope) -> tuple[ColumnDef, ...]:
    """The columns of `CreateModel(fields=[("name", models.X(...)), ...])`: a foreign key's
    column is `<name>_id` (or its `db_column`), a many-to-many field has none; only
    `db_default=` is a database default (Django applies `default=` itself)."""
    if not isinstance(fields, (ast.List, ast.Tuple)):
        return ()
    out: list[ColumnDef] = []
    for elt in fields.elts:
        if not isinstance(elt, ast.Tuple) or len(elt.elts) != 2:
            continue
        name, node = scope.string(elt.elts[0]), elt.elts[1]
        facts = field_facts(node, scope)
        if not name or facts.many:
            continue
        column = scope.string(_keyword(node, "db_column"))
        if column is None:
            column = f"{name}_id" if facts.field in _FK else name
        out.append(
            ColumnDef(
                column,
                column_type(node, scope),
                not_null=not facts.null or facts.pk,
                default=_db_default_text(node, scope),
                primary_key=facts.pk,
            )
        )
    return tuple(out)


def field_facts(node: ast.AST | None, scope: Scope | None = None) -> Field:
    if not isinstance(node, ast.Call):
        return Field()
    scope = scope or Scope()

    def kw(name: str) -> ast.expr | None:
        return next((k.value for k in node.keywords if k.arg == name), None)

    field = call_name(node)
    null = scope.value(kw("null")) is True
    return Field(
        field=field,
        null=null,
        has_default=_given(kw("default"), scope)
        or (not null and field in _EMPTY_STRINGS and scope.value(kw("blank")) is True)
        or any(scope.value(kw(k)) is True for k in ("auto_now", "auto_now_add")),
        db_default=_given(kw("db_default"), scope),
        primary_key=scope.value(kw("primary_key")) is True,
    )


# Field classes whose `empty_strings_allowed` is true: with `blank=True` and no `default=`,
# Django's schema editor fills an added NOT NULL column with '' (b'' for BinaryField), as
# BaseDatabaseSchemaEditor._effective_default does; the numeric, date, boolean, UUID and JSON
# classes allow no empty string and get no default.
_EMPTY_STRINGS = frozenset(
    {
        "CharField",
        "SlugField",
        "EmailField",
        "URLField",
        "FilePathField",
        "FileField",
        "ImageField",
        "TextField",
        "BinaryField",
        "CICharField",
        "CIEmailField",
        "CITextField",
    }
)


def _given(node: ast.expr | None, scope: Scope) -> bool:
    """A `default=`/`db_default=` keyword that gives a value. `None` gives none: Django adds no
    DEFAULT for `default=None` (its effective default is None), and `db_default=None` is
    `DEFAULT NULL`, which fills no NOT NULL column either. A value guardrail cannot work out (a
    name from elsewhere, a call) counts as given."""
    return node is not None and scope.value(node) is not None


def _db_default_text(node: ast.AST | None, scope: Scope) -> str | None:
    """`db_default=` as written, normalized; None when absent or None (DEFAULT NULL is the
    default every column has)."""
    value = _keyword(node, "db_default")
    if not _given(value, scope):
        return None
    return " ".join(ast.unparse(value).split()) if value is not None else None


_SIZES = ("max_length", "max_digits", "decimal_places")


def imported_names(tree: ast.Module) -> dict[str, str]:
    """Local name -> dotted origin of the module's imports (`from shop.fields import
    MoneyField as Money` gives Money -> shop.fields.MoneyField)."""
    out: dict[str, str] = {}
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for a in node.names:
                out[a.asname or a.name] = f"{node.module}.{a.name}"
        elif isinstance(node, ast.Import):
            for a in node.names:
                if a.asname:
                    out[a.asname] = a.name
    return out


def _origin(call: ast.Call, imports: Mapping[str, str]) -> str:
    """The dotted name a field call's class comes from, through the module's imports."""
    func = call.func
    parts: list[str] = []
    while isinstance(func, ast.Attribute):
        parts.append(func.attr)
        func = func.value
    if not isinstance(func, ast.Name):
        return ""
    head = imports.get(func.id, func.id)
    return ".".join([head, *reversed(parts)])


def sized_type(field_class: str, sizes: Mapping[str, int]) -> str:
    """The PostgreSQL type Django gives `field_class` with these literal sizes."""
    spelled = _PG_TYPE.get(field_class, "")
    if spelled.endswith("{}"):
        length = sizes.get("max_length", _DEFAULT_LENGTH.get(field_class))
        return spelled.format(f"({length})" if length is not None else "")
    if spelled == "numeric" and "max_digits" in sizes and "decimal_places" in sizes:
        return f"numeric({sizes['max_digits']},{sizes['decimal_places']})"
    return spelled


def django_field(
    node: ast.AST | None, scope: Scope, imports: Mapping[str, str] | None = None
) -> DjangoField | None:
    """What a field declaration makes of its column, or None when it is not a field call
    guardrail can read (a variable, a factory function)."""
    if not isinstance(node, ast.Call):
        return None
    facts = field_facts(node, scope)
    own = not django_field_class(facts.field)
    sizes = tuple(
        (k, v)
        for k, v in ((k, scope.value(_keyword(node, k))) for k in _SIZES)
        if isinstance(v, int) and not isinstance(v, bool)
    )
    target = _arg(node, 0, "to") if facts.field in _FK or facts.many else None
    return DjangoField(
        field=facts.field,
        type=column_type(node, scope),
        null=facts.null,
        pk=facts.pk,
        many=facts.many,
        db_default=_db_default_text(node, scope),
        target=(scope.string(target) or ast.unparse(target)) if target is not None else "",
        origin=_origin(node, imports or {}) if own else "",
        sizes=sizes if own else (),
    )


def _db_index_off(node: ast.AST | None, scope: Scope) -> bool:
    """True when a field call says `db_index=False`."""
    if not isinstance(node, ast.Call):
        return False
    value = next((k.value for k in node.keywords if k.arg == "db_index"), None)
    return value is not None and scope.value(value) is False


def _keyword(node: ast.AST | None, name: str) -> ast.expr | None:
    if not isinstance(node, ast.Call):
        return None
    return next((k.value for k in node.keywords if k.arg == name), None)


def _arg(call: ast.Call, index: int, name: str) -> ast.expr | None:
    if len(call.args) > index and not isinstance(call.args[index], ast.Starred):
        return call.args[index]
    return next((k.value for k in call.keywords if k.arg == name), None)


_MODULE_NAMES = frozenset({"operations", "atomic", "replaces", "dependencies", "run_before"})


@dataclass
class _Module:
    """What the module assigns to the names a migration declares (`operations`, `atomic`,
    `replaces`, `dependencies`, `run_before`), in the order `ast.walk` meets them, and the
    classes it defines: gathered in one walk of the tree, which four walks did before (a
    quarter of a replayed file's reading)."""

    assigned: dict[str, list[ast.Assign | ast.AnnAssign]]
    classes: list[ast.ClassDef]

    @classmethod
    def of(cls, tree: ast.Module) -> _Module:
        assigned: dict[str, list[ast.Assign | ast.AnnAssign]] = {}
        classes: list[ast.ClassDef] = []
        for node in _statements(tree):
            if isinstance(node, ast.Assign):
                for t in node.targets:
                    if isinstance(t, ast.Name) and t.id in _MODULE_NAMES:
                        assigned.setdefault(t.id, []).append(node)
                        break
            elif isinstance(node, ast.AnnAssign):
                t = node.target
                if isinstance(t, ast.Name) and t.id in _MODULE_NAMES:
                    assigned.setdefault(t.id, []).append(node)
            elif isinstance(node, ast.ClassDef):
                classes.append(node)
        return cls(assigned, classes)


def _statements(tree: ast.Module) -> Iterator[ast.AST]:
    """The module's statements (and the except handlers and match cases that hold some), in
    the order `ast.walk` meets them: breadth first, children in field order. Assignments and
    class statements are only ever statements, so this finds what a whole walk finds without
    entering the expressions (an `operations` list is most of a migration's nodes)."""
    queue: deque[ast.AST] = deque([tree])
    while queue:
        node = queue.popleft()
        yield node
        for name in node._fields:
            value = getattr(node, name, None)
            if isinstance(value, list):
                queue.extend(
                    v for v in value if isinstance(v, (ast.stmt, ast.excepthandler, ast.match_case))
                )


def _operations_node(module: _Module) -> ast.expr | None:
    """`operations = …` in the Migration class (or, failing that, anywhere)."""
    found: ast.expr | None = None
    for node in module.assigned.get("operations", ()):
        if node.value is not None:
            found = node.value
    return found


def _atomic(module: _Module, scope: Scope) -> bool:
    for node in module.assigned.get("atomic", ()):
        if isinstance(node, ast.Assign):
            return scope.value(node.value) is not False
    return True


class _Reader:
    def __init__(
        self, source: str, tree: ast.Module, app: App, module: _Module, definitions: bool
    ) -> None:
        self.rec = Recorder(source)
        self.definitions = definitions
        self.app = app
        self.tables = dict(app.db_tables)  # model -> db_table, as this file sets them
        self.state: list[Op] = []  # operations on Django's state only
        self.unsure: list[str] = []  # python_ast.definition: a project field's own arguments
        self.scope = Scope.of_module(tree)
        self.atomic = _atomic(module, self.scope)
        self.reversible = True
        self.why = ""
        self.events: list[FieldEvent] = []  # Django's model state, step by step
        self.imports = imported_names(tree)
        self.state_steps = True  # False inside SeparateDatabaseAndState's database operations
        # Module-level names bound to expressions that are not literals (lists of operations).
        self.assigned: dict[str, ast.expr] = {
            t.id: node.value
            for node in tree.body
            if isinstance(node, ast.Assign)
            for t in node.targets
            if isinstance(t, ast.Name)
        }

    # -- operations as Python builds them -------------------------------------------------------

    def expand(
        self, node: ast.expr, scope: Scope, depth: int = 0
    ) -> Iterator[tuple[ast.Call, Scope]]:
        if depth > 8:
            self.lost(node.lineno, "operations nested too deep to read")
            return
        if isinstance(node, (ast.List, ast.Tuple)):
            for elt in node.elts:
                inner = elt.value if isinstance(elt, ast.Starred) else elt
                yield from self.expand(inner, scope, depth + 1)
        elif isinstance(node, ast.Call):
            yield node, scope
        elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            yield from self.expand(node.left, scope, depth + 1)
            yield from self.expand(node.right, scope, depth + 1)
        elif isinstance(node, (ast.ListComp, ast.GeneratorExp)) and len(node.generators) == 1:
            gen = node.generators[0]
            scopes = scope.iterate(gen.target, gen.iter)
            if scopes is None:
                self.lost(node.lineno, "operations built in a loop over values read at run time")
                return
            for each in scopes:
                if all(each.value(cond) is not False for cond in gen.ifs):
                    yield from self.expand(node.elt, each, depth + 1)
        elif isinstance(node, ast.Name) and node.id in self.assigned:
            yield from self.expand(self.assigned[node.id], scope, depth + 1)
        else:
            self.lost(node.lineno, "operations built at run time")

    def lost(self, line: int, note: str) -> None:
        """Operations that cannot be read: noted, and the model state is unknown from here."""
        self.rec.note(line, note)
        self.events.append(FieldEvent("lost", line))

    def step(
        self,
        kind: str,
        st: Statement,
        name: str | None = None,
        field: DjangoField | None = None,
        new_name: str | None = None,
        fields: tuple[tuple[str, DjangoField | None], ...] = (),
    ) -> None:
        """One step of Django's model state (not recorded for database-only operations)."""
        if self.state_steps:
            self.events.append(
                FieldEvent(kind, st.line, st.model, st.table, name, new_name, field, fields)
            )

    def read(self, operations: ast.expr) -> None:
        for call, scope in self.expand(operations, self.scope):
            self.operation(call, scope)

    # -- one operation ----------------------------------------------------------------------------

    def operation(self, call: ast.Call, scope: Scope) -> None:
        name = call_name(call)
        model = scope.string(next((k.value for k in call.keywords if k.arg == "model_name"), None))
        model = model or scope.string(_arg(call, 0, "name"))
        lower = model.lower() if model else None
        table = self.table(lower) if lower else None
        # SeparateDatabaseAndState's own definition is on no operation: its database
        # operations are read one by one (and its state operations reach no database).
        unsure = None if name == "SeparateDatabaseAndState" else self.unsure
        defn = definition(call, self.scope.functions, unsure) if self.definitions else ""
        st = self.rec.statement(call, table, self.atomic, defn, lower)
        handler = _HANDLERS.get(name)
        if handler is not None:
            handler(self, call, scope, st)
        elif name in _INDEX_OPS:
            kind, concurrently = _INDEX_OPS[name]
            st.add(kind, concurrently=concurrently)
        elif name not in _HARMLESS:
            self.lost(call.lineno, f"operation `{name or 'call'}` not understood")

    def table(self, model: str) -> str:
        known = self.tables.get(model)
        return known if known else self.app.table(model)

    def create_model(self, call: ast.Call, scope: Scope, st: Statement) -> None:
        options = scope.value(_arg(call, 2, "options"))
        db_table = options.get("db_table") if isinstance(options, dict) else None
        if isinstance(db_table, str) and db_table and st.model:
            self.tables[st.model] = db_table
            st.table = db_table
        if st.table:
            self.rec.created.add(st.table)
        fields = _arg(call, 1, "fields")
        st.add(OpKind.CREATE_TABLE, table_columns=table_columns(fields, scope))
        declared: list[tuple[str, DjangoField | None]] = []
        for elt in fields.elts if isinstance(fields, (ast.List, ast.Tuple)) else ():
            if isinstance(elt, ast.Tuple) and len(elt.elts) == 2:
                name = scope.string(elt.elts[0])
                if name:
                    declared.append((name, django_field(elt.elts[1], scope, self.imports)))
        self.step("create", st, fields=tuple(declared))

    def add_field(self, call: ast.Call, scope: Scope, st: Statement) -> None:
        column = scope.string(_arg(call, 1, "name"))
        node = _arg(call, 2, "field")
        facts = field_facts(node, scope)
        self.step("add", st, column, django_field(node, scope, self.imports))
        if facts.many:
            # No column on the model's table: Django's state gains the field, and the database
            # a join table, created empty, unless `through=` names a model of its own (whose
            # CreateModel made its table).
            self.state.append(
                Op(OpKind.ADD_COLUMN, st.line, st.table, column, st.text, model=st.model)
            )
            if _keyword(node, "through") is not None:
                return
            through = f"{st.table}_{column}" if st.table and column else None
            if through:
                self.rec.created.add(through)
            st.add(OpKind.CREATE_TABLE, _t=through)
            return
        st.add(
            OpKind.ADD_COLUMN,
            column,
            not_null=not facts.null,
            # Django's `default=` is applied by the ORM and dropped from the table right after;
            # only `db_default=` stays in the database for old code's inserts.
            has_default=facts.db_default,
            orm_default=facts.has_default,
        )
        if facts.field in _FK:
            st.add(OpKind.ADD_FOREIGN_KEY, column, not_valid=False)
            # `ForeignKey(db_index=False)` creates no index (projects then add it CONCURRENTLY
            # in a migration of its own); a OneToOneField is unique, so it always has one.
            if facts.field != "ForeignKey" or not _db_index_off(_arg(call, 2, "field"), scope):
                st.add(OpKind.CREATE_INDEX, column, concurrently=False)

    def alter_field(self, call: ast.Call, scope: Scope, st: Statement) -> None:
        column = scope.string(_arg(call, 1, "name"))
        facts = field_facts(_arg(call, 2, "field"), scope)
        self.step("alter", st, column, django_field(_arg(call, 2, "field"), scope, self.imports))
        if facts.many:
            return  # a join table's options: no column changes
        if not facts.null and not facts.pk:
            # A primary key is NOT NULL already; anything else may or may not have been. What
            # it says is the field's NULL alone: an edit of a shipped AlterField that changes
            # its class but not its NULL (saleor 368a33e) leaves this operation as it was.
            st.add(OpKind.SET_NOT_NULL, column, maybe=True, definition="AlterField NOT NULL")
        st.add(OpKind.ALTER_TYPE, column, maybe=True, to_type=facts.field or None)

    def remove_field(self, call: ast.Call, scope: Scope, st: Statement) -> None:
        st.add(OpKind.DROP_COLUMN, scope.string(_arg(call, 1, "name")))
        self.step("remove", st, scope.string(_arg(call, 1, "name")))

    def delete_model(self, call: ast.Call, scope: Scope, st: Statement) -> None:
        st.add(OpKind.DROP_TABLE)
        self.step("delete", st)

    def rename_field(self, call: ast.Call, scope: Scope, st: Statement) -> None:
        old, new = scope.string(_arg(call, 1, "old_name")), scope.string(_arg(call, 2, "new_name"))
        st.add(OpKind.RENAME_COLUMN, old, new_name=new)
        self.step("rename", st, old, new_name=new)

    def rename_model(self, call: ast.Call, scope: Scope, st: Statement) -> None:
        old = (scope.string(_arg(call, 0, "old_name")) or "").lower()
        new = (scope.string(_arg(call, 1, "new_name")) or "").lower()
        st.model = old or None
        st.table = self.table(old) if old else None
        self.step("rename_model", st, new_name=new or None)
        if old in self.tables:
            # A model with its own db_table keeps its table: only Django's state is renamed.
            self.tables[new] = self.tables[old]
            return
        st.add(OpKind.RENAME_TABLE, new_name=self.table(new) if new else None)

    def alter_model_table(self, call: ast.Call, scope: Scope, st: Statement) -> None:
        new = scope.string(_arg(call, 1, "table"))
        if st.model:
            self.tables[st.model] = new or self.app.table(st.model)
        st.add(
            OpKind.RENAME_TABLE, new_name=new or (self.app.table(st.model) if st.model else None)
        )

    def add_constraint(self, call: ast.Call, scope: Scope, st: Statement) -> None:
        con = _arg(call, 1, "constraint")
        cname = call_name(con)
        if cname == "UniqueConstraint":
            st.add(OpKind.ADD_UNIQUE, using_index=False)
        elif cname == "CheckConstraint":
            st.add(OpKind.ADD_CHECK, not_valid=False)

    def add_constraint_not_valid(self, call: ast.Call, scope: Scope, st: Statement) -> None:
        st.add(OpKind.ADD_CHECK, not_valid=True)

    def alter_unique_together(self, call: ast.Call, scope: Scope, st: Statement) -> None:
        together = scope.value(_arg(call, 1, "unique_together"))
        if together == () or together == set() or together is None:
            return  # removing every unique-together set adds nothing
        st.add(OpKind.ADD_UNIQUE, using_index=False, maybe=True)

    def run_python(self, call: ast.Call, scope: Scope, st: Statement) -> None:
        code = _arg(call, 0, "code")
        fn = scope.functions.get(code.id) if isinstance(code, ast.Name) else None
        change = _orm_change(fn) if fn is not None else None
        if change is None:
            # No write guardrail can see (raw SQL through a cursor, a helper it calls): scoped
            # to the models the function asks for by name, when it names any. A function from
            # another module, or one that names none, stays unnamed: it lowers no finding.
            models = _models_named(fn) if fn is not None else []
            for app_label, model_name in models:
                own = self.table(model_name) if app_label in (None, self.app.label) else None
                st.add(OpKind.DATA_MIGRATION, None, own or self.app.table(model_name, app_label))
            if not models:
                st.add(OpKind.DATA_MIGRATION)
        else:
            what, named, looped = change
            table = None
            if named is not None:
                label, model = named
                table = self.table(model) if label in (None, self.app.label) else None
                table = table or self.app.table(model, label)
            # In a transaction (atomic) every batch commits together: one long lock on all rows.
            st.add(
                OpKind.DATA_MIGRATION,
                None,
                table,
                value=what,
                batched=looped and not self.atomic,
                columns=_columns_set(fn) if fn is not None else (),
            )
        if _arg(call, 1, "reverse_code") is None:
            self.reversible = False
            self.why = "`RunPython` has no `reverse_code`"
            st.add(OpKind.IRREVERSIBLE, why=self.why)

    def run_sql(self, call: ast.Call, scope: Scope, st: Statement) -> None:
        node = _arg(call, 0, "sql")
        if not _is_noop(node):
            sql = sql_of(node, scope)
            if sql is None:
                st.unread("RunSQL with SQL built at run time")
                self.events.append(FieldEvent("lost", call.lineno))
            else:
                before = len(self.rec.found)
                self.rec.sql(sql, scope.located(node, call), self.atomic)
                # What the SQL does to a column, Django's state does not know: that column's
                # declaration no longer tells what the database has.
                for o in self.rec.found[before:]:
                    if o.kind == OpKind.RAW or (o.column and o.kind in _SQL_TOUCHES):
                        self.events.append(
                            FieldEvent("touch", o.line, table=o.table, name=o.column)
                        )
        if _arg(call, 1, "reverse_sql") is None:
            self.reversible = False
            self.why = "`RunSQL` has no `reverse_sql`"
            st.add(OpKind.IRREVERSIBLE, why=self.why)

    def separate(self, call: ast.Call, scope: Scope, st: Statement) -> None:
        # Only the database operations reach the database; state operations change Django's
        # idea of the models (the expand/contract tool for dropping a column later).
        node = _arg(call, 0, "database_operations")
        if node is not None:
            steps, self.state_steps = self.state_steps, False
            try:
                for inner, inner_scope in self.expand(node, scope):
                    self.operation(inner, inner_scope)
            finally:
                self.state_steps = steps
        state = _arg(call, 1, "state_operations")
        if state is not None:
            self.state_only(state, scope)

    def state_only(self, node: ast.expr, scope: Scope) -> None:
        """Reads operations into `self.state`: nothing of them reaches the database (no op,
        no note, no table created, no effect on reversibility)."""
        rec = self.rec
        kept = (rec.found, list(rec.notes), set(rec.created), self.reversible, self.why)
        unsure = len(self.unsure)
        rec.found = []
        try:
            for inner, inner_scope in self.expand(node, scope):
                self.operation(inner, inner_scope)
            self.state.extend(o for o in rec.found if o.kind != OpKind.RAW)
        finally:
            rec.found = kept[0]
            rec.notes[:] = kept[1]
            rec.created.clear()
            rec.created.update(kept[2])
            self.reversible, self.why = kept[3], kept[4]
            del self.unsure[unsure:]

    def add_default_value(self, call: ast.Call, scope: Scope, st: Statement) -> None:
        # django-add-default-value: keeps a database default for the column, so rows the
        # running version inserts without it still get a value.
        column = scope.string(_arg(call, 1, "name"))
        self.rec.found[:] = [
            dataclasses.replace(o, has_default=True)
            if o.kind == OpKind.ADD_COLUMN and o.column == column and o.table == st.table
            else o
            for o in self.rec.found
        ]


# SQL statements that change a column behind Django's back (RunSQL).
_SQL_TOUCHES = frozenset(
    {
        OpKind.SET_NOT_NULL,
        OpKind.DROP_NOT_NULL,
        OpKind.ALTER_TYPE,
        OpKind.SET_DEFAULT,
        OpKind.DROP_DEFAULT,
        OpKind.DROP_COLUMN,
        OpKind.RENAME_COLUMN,
        OpKind.ADD_COLUMN,
    }
)

_QUERYSET = frozenset(
    {"objects", "filter", "exclude", "all", "select_for_update", "only", "order_by"}
)


def _chain(node: ast.expr) -> list[str]:
    """`Order.objects.filter(x=1).update` -> ["update", "filter", "objects", "Order"]."""
    names: list[str] = []
    while True:
        if isinstance(node, ast.Call):
            node = node.func
        elif isinstance(node, ast.Attribute):
            names.append(node.attr)
            node = node.value
        else:
            if isinstance(node, ast.Name):
                names.append(node.id)
            return names


def _get_model(node: ast.Call) -> tuple[str | None, str] | None:
    """(app label, model lower case) of `apps.get_model("app", "Model")` or `("app.Model")`."""
    names = [a.value for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
    if len(names) != len(node.args) or not names:
        return None
    if len(names) == 2:
        return names[0], names[1].lower()
    label, _, model = names[0].rpartition(".")
    return label or None, model.lower()


def _models_named(fn: ast.FunctionDef) -> list[tuple[str | None, str]]:
    """(app label, model) of every `apps.get_model(...)` in a RunPython function, in order."""
    out: list[tuple[str | None, str]] = []
    for node in ast.walk(fn):
        if isinstance(node, ast.Call) and _chain(node)[:1] == ["get_model"]:
            named = _get_model(node)
            if named is not None and named not in out:
                out.append(named)
    return out


def _orm_change(
    fn: ast.FunctionDef,
) -> tuple[str, tuple[str | None, str] | None, bool] | None:
    """The data change a RunPython function makes through the ORM: (`.update()`, `.delete()`,
    `.save()` in a loop or `bulk_update()`, (app label, model) from `apps.get_model`, whether
    it runs in a loop of batches), or None when it makes none guardrail can see."""
    models = _models_named(fn)
    model = models[0] if len(models) == 1 else None
    loops = [n for n in ast.walk(fn) if isinstance(n, (ast.For, ast.While))]

    def in_loop(node: ast.AST) -> bool:
        return any(node is inner for loop in loops for inner in ast.walk(loop) if inner is not loop)

    for node in ast.walk(fn):
        if not isinstance(node, ast.Call):
            continue
        chain = _chain(node)
        if not chain:
            continue
        method, rest = chain[0], set(chain[1:])
        if method in ("update", "delete") and rest & _QUERYSET:
            return f".{method}()", model, in_loop(node)
        if method == "bulk_update":
            return ".bulk_update()", model, False
        if method == "save" and in_loop(node):
            return ".save() in a loop", model, True
    return None


def _columns_set(fn: ast.FunctionDef) -> tuple[str, ...]:
    """The fields a RunPython function writes, when every write names them: `.update(col=…)`,
    `bulk_update(objs, ["col"])` / `fields=[…]`, `obj.col = …` before `obj.save()` (or
    `save(update_fields=[…])`). Empty when any write's fields cannot be told (`.update(**values)`,
    a field list computed at run time): the caller then cannot match it column by column."""
    out: list[str] = []
    assigned: list[str] = []
    saves = 0
    for node in ast.walk(fn):
        if isinstance(node, ast.Assign):
            assigned += [
                t.attr
                for t in node.targets
                if isinstance(t, ast.Attribute) and isinstance(t.value, ast.Name)
            ]
        if not isinstance(node, ast.Call):
            continue
        chain = _chain(node)
        method, rest = (chain[0], set(chain[1:])) if chain else ("", set())
        if method == "update" and rest & _QUERYSET:
            if any(k.arg is None for k in node.keywords):
                return ()
            out += [k.arg for k in node.keywords if k.arg is not None]
        elif method == "bulk_update":
            names = _str_list(node.args[1] if len(node.args) > 1 else _kw_value(node, "fields"))
            if names is None:
                return ()
            out += names
        elif method == "save":
            fields = _kw_value(node, "update_fields")
            names = _str_list(fields) if fields is not None else None
            if fields is not None and names is None:
                return ()
            out += names or ()
            saves += 1
    if saves:
        out += assigned
    return tuple(dict.fromkeys(c.lower() for c in out))


def _kw_value(call: ast.Call, name: str) -> ast.expr | None:
    return next((k.value for k in call.keywords if k.arg == name), None)


def _str_list(node: ast.expr | None) -> list[str] | None:
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)) and all(
        isinstance(e, ast.Constant) and isinstance(e.value, str) for e in node.elts
    ):
        return [
            e.value for e in node.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)
        ]
    return None


def _is_noop(node: ast.AST | None) -> bool:
    return isinstance(node, ast.Attribute) and node.attr == "noop"


_HANDLERS = {
    "CreateModel": _Reader.create_model,
    "AddField": _Reader.add_field,
    "AlterField": _Reader.alter_field,
    "RemoveField": _Reader.remove_field,
    "DeleteModel": _Reader.delete_model,
    "RenameField": _Reader.rename_field,
    "RenameModel": _Reader.rename_model,
    "AlterModelTable": _Reader.alter_model_table,
    "AddConstraint": _Reader.add_constraint,
    "AddConstraintNotValid": _Reader.add_constraint_not_valid,
    "AlterUniqueTogether": _Reader.alter_unique_together,
    "RunPython": _Reader.run_python,
    "RunSQL": _Reader.run_sql,
    "SeparateDatabaseAndState": _Reader.separate,
    "AddDefaultValue": _Reader.add_default_value,
}


def read(source: str, app: App | None = None, *, definitions: bool = True) -> Reading:
    """`app` names the tables (`App(label)` for `<label>/migrations/`); without it each table
    is named by its model alone. `definitions=False` leaves each operation's definition out
    (what an edit of a shipped migration is compared by: changed.py): the replay of an app's
    base migrations (django_state.py) needs only their state steps, and the definitions were
    about half of reading a file."""
    tree = pyast.parse(source)
    module = _Module.of(tree)
    reader = _Reader(source, tree, app or App(), module, definitions)
    operations = _operations_node(module)
    if operations is not None:
        reader.read(operations)
    rec = reader.rec
    reader.events += [
        FieldEvent("replaces", 0, name=n) for n in _replaces(module, reader.scope, reader.app.label)
    ]
    reader.events += _links(module, reader.scope, reader.app.label)
    return Reading(
        "django",
        tuple(_later_defaults(rec.found)),
        reader.reversible,
        reader.why,
        tuple(rec.notes),
        reader.atomic,
        tuple(reader.state),
        tuple(reader.unsure),
        tuple(reader.events),
    )


def _replaces(module: _Module, scope: Scope, label: str | None) -> list[str]:
    """The migration names a squashed migration's `replaces = [("app", "0001_x"), …]` lists,
    of its own app when the label is known: saleor's `checkout` app, renamed from `cart`, has
    `0006_auto_20180221_0825` with `replaces = [("cart", "0006_auto_20180221_0825")]`, which
    replaces no migration of `checkout` (read as its own name, it dropped itself from the
    replay and broke the order of every later AlterField)."""
    out: list[str] = []
    for node in module.assigned.get("replaces", ()):
        if isinstance(node, ast.Assign):
            got = scope.value(node.value)
            if isinstance(got, (list, tuple)):
                out += [
                    p[1]
                    for p in got
                    if isinstance(p, (list, tuple))
                    and len(p) == 2
                    and isinstance(p[1], str)
                    and (label is None or p[0] == label)
                ]
    return out


def _links(module: _Module, scope: Scope, label: str | None) -> list[FieldEvent]:
    """The migration's links to others of its own app, which order Django's replay of the
    app's state: `dependencies = [("shop", "0003_a"), …]` (a `depends` event per parent) and
    `run_before = [("shop", "0005_b")]` (`runs_before`). Another app's migrations, a
    `swappable_dependency(...)` and Django's `__first__`/`__latest__` markers are not links
    within the app; with no label known, none is."""
    out: list[FieldEvent] = []
    if label is None:
        return out
    for node in module.classes:
        for stmt in node.body:
            target = stmt.targets[0] if isinstance(stmt, ast.Assign) and stmt.targets else None
            if isinstance(stmt, ast.AnnAssign):
                target = stmt.target
            kind = {"dependencies": "depends", "run_before": "runs_before"}.get(
                target.id if isinstance(target, ast.Name) else ""
            )
            value = getattr(stmt, "value", None)
            if kind is None or not isinstance(value, (ast.List, ast.Tuple)):
                continue
            for elt in value.elts:
                pair = scope.value(elt)
                if (
                    isinstance(pair, (tuple, list))
                    and len(pair) == 2
                    and pair[0] == label
                    and isinstance(pair[1], str)
                    and pair[1] not in ("__first__", "__latest__")
                ):
                    out.append(FieldEvent(kind, getattr(elt, "lineno", 0), name=pair[1]))
    return out


def _later_defaults(ops: list[Op]) -> list[Op]:
    """A column added with `default=` (Django fills the rows, then drops the default) that a
    later statement of the migration gives a database default (`RunSQL("ALTER TABLE …
    ALTER COLUMN … SET DEFAULT …")`, the way projects keep old code's inserts working) has a
    database default when the migration ends."""
    later: set[tuple[str, str | None]] = set()
    out: list[Op] = []
    for o in reversed(ops):
        if o.kind == OpKind.SET_DEFAULT and o.table and o.column:
            later.add((_table_key(o.table), o.column))
        elif (
            o.kind == OpKind.ADD_COLUMN
            and o.orm_default
            and not o.has_default
            and (_table_key(o.table), o.column) in later
        ):
            o = dataclasses.replace(o, has_default=True)
        out.append(o)
    out.reverse()
    return out


def _table_key(table: str | None) -> str:
    return (table or "").lower().replace('"', "").rsplit(".", 1)[-1]


# -- the models a migration's AlterField is compared with ---------------------------------------

_MAX_MODEL_FILES = 40  # per app: a models package of more files is read up to this many


class Models:
    """The fields of an app's models at one commit, wherever they live: `<app>/models.py` or a
    `<app>/models/` package (the modules its `__init__` imports, and any the file listing
    shows). Each file is parsed once."""

    def __init__(self, read: Callable[[str], str | None], listing: Iterable[str] = ()) -> None:
        self._read = read
        self._listing = tuple(listing)
        self._files: dict[str, _ModelsFile] = {}
        self._apps: dict[str, dict[str, dict[str, ast.Call]]] = {}

    def field(self, app_dir: str, model: str, name: str) -> ast.Call | None:
        return self.app(app_dir).get(model.lower(), {}).get(name)

    def app(self, app_dir: str) -> dict[str, dict[str, ast.Call]]:
        if app_dir not in self._apps:
            merged: dict[str, dict[str, ast.Call]] = {}
            for path in self._paths(app_dir):
                for model, fields in self._file(path).fields.items():
                    merged.setdefault(model, {}).update(fields)
            self._apps[app_dir] = merged
        return self._apps[app_dir]

    def db_tables(self, app_dir: str) -> dict[str, str]:
        """model (lower case) -> the `db_table` its `Meta` sets, for the app's models."""
        out: dict[str, str] = {}
        for path in self._paths(app_dir):
            out.update(self._file(path).tables)
        return out

    def _paths(self, app_dir: str) -> list[str]:
        prefix = f"{app_dir}/" if app_dir else ""
        paths = [f"{prefix}models.py", f"{prefix}models/__init__.py"]
        package = f"{prefix}models/"
        paths += [
            p
            for p in self._listing
            if p.startswith(package) and p.endswith(".py") and "/" not in p[len(package) :]
        ]
        init = self._source(f"{prefix}models/__init__.py")
        if init is not None:
            try:
                tree = pyast.parse(init)
            except SyntaxError:
                tree = ast.Module(body=[], type_ignores=[])
            for node in tree.body:
                if isinstance(node, ast.ImportFrom) and node.level == 1:
                    if node.module:
                        paths.append(f"{package}{node.module.replace('.', '/')}.py")
                    else:
                        paths += [f"{package}{a.name}.py" for a in node.names]
        return list(dict.fromkeys(paths))[:_MAX_MODEL_FILES]

    def _source(self, path: str) -> str | None:
        return self._read(path)

    def _file(self, path: str) -> _ModelsFile:
        if path not in self._files:
            self._files[path] = _model_fields(self._source(path))
        return self._files[path]


@dataclass(frozen=True)
class _ModelsFile:
    fields: dict[str, dict[str, ast.Call]]  # model (lower case) -> field name -> declaration
    tables: dict[str, str]  # model (lower case) -> Meta.db_table


def _db_table(cls: ast.ClassDef) -> str | None:
    for stmt in cls.body:
        if isinstance(stmt, ast.ClassDef) and stmt.name == "Meta":
            table = _assigned_str(stmt.body, "db_table")
            if table is not None:
                return table
    return None


def _model_fields(source: str | None) -> _ModelsFile:
    """The fields and `db_table` of each model class of a file."""
    empty = _ModelsFile({}, {})
    if not source:
        return empty
    try:
        tree = pyast.parse(source)
    except SyntaxError:
        return empty
    out: dict[str, dict[str, ast.Call]] = {}
    tables: dict[str, str] = {}
    for node in ast.walk(tree):
        if not isinstance(node, ast.ClassDef):
            continue
        table = _db_table(node)
        if table:
            tables[node.name.lower()] = table
        fields: dict[str, ast.Call] = {}
        for stmt in node.body:
            if isinstance(stmt, ast.Assign) and isinstance(stmt.value, ast.Call):
                for t in stmt.targets:
                    if isinstance(t, ast.Name):
                        fields[t.id] = stmt.value
            elif (
                isinstance(stmt, ast.AnnAssign)
                and isinstance(stmt.target, ast.Name)
                and isinstance(stmt.value, ast.Call)
            ):
                fields[stmt.target.id] = stmt.value
        if fields:
            out[node.name.lower()] = fields
    return _ModelsFile(out, tables)
