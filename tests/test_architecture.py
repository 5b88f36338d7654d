"""The shape the conventions promise, checked on the source itself.

Role → scope rules live only in the permission layer: ``liaison/registry/permissions.py`` and
each app's ``access.py`` / ``policies.py``. A view, a form, a selector, a service, a menu or a
template that compares a user's role decides scope on its own, and the next change of the rule
misses it. This test parses every module under ``liaison/`` and every template, and fails on a
role comparison anywhere else — unless it is allow-listed below, by module and enclosing
function, with the reason it is not a scope rule.

The app boundaries of the README are checked by import-linter (``lint-imports``, contracts in
``pyproject.toml``), run here too.
"""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from liaison.registry.models import Role

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "liaison"
POLICY_MODULES = frozenset({"permissions.py", "access.py", "policies.py"})
ROLE_VALUES = frozenset(role.value for role in Role)

# (module path from the repository root, enclosing function or class) → why it is not a scope rule.
ALLOWED: dict[tuple[str, str], str] = {
    # Not scope rules.
    ("liaison/registry/models.py", "Role.needs_country"): (
        "the Role enum's own predicate properties (CONVENTIONS: choices with predicate "
        "properties): which accounts need a country; the permission layer builds on them"
    ),
    ("liaison/registry/models.py", "Role.needs_blo"): (
        "the Role enum's own predicate property: which accounts are posted at a BLO"
    ),
    ("liaison/registry/models.py", "Role.is_network_wide"): (
        "the Role enum's own predicate property the permission layer's is_network_wide reads"
    ),
    ("liaison/registry/demo.py", "load_demo_registry"): (
        "building the demo: the administrator's demo account gets Django's staff flag"
    ),
}


@dataclass(frozen=True, order=True)
class Finding:
    path: str
    line: int
    scope: str
    code: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line} in {self.scope}: {self.code}"


def _is_policy_module(path: Path) -> bool:
    return path.name in POLICY_MODULES


def _is_test_code(path: Path) -> bool:
    # Tests build personas of every role and assert on them; they decide no one's scope.
    return "tests" in path.relative_to(PACKAGE).parts


class _RoleComparisons(ast.NodeVisitor):
    """Comparisons of a user's role: ``x.role == …``, ``x.role in {…}``, ``Role.X == …``,
    ``… in {Role.A, Role.B}``, ``x.role_enum …``, ``Role(x.role) …`` and ``match x.role``."""

    def __init__(self, path: str, source: str) -> None:
        self.path = path
        self.source = source
        self.role_names: set[str] = {"Role"}
        self.stack: list[str] = []
        self.findings: list[Finding] = []

    # --- names of the registry's Role enum in this module -------------------------------------

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.module and node.module.startswith("liaison.registry"):
            for alias in node.names:
                if alias.name == "Role":
                    self.role_names.add(alias.asname or alias.name)
        self.generic_visit(node)

    def _is_role_class(self, node: ast.expr) -> bool:
        if isinstance(node, ast.Name):
            return node.id in self.role_names
        return isinstance(node, ast.Attribute) and node.attr == "Role"

    def _is_role_literal(self, node: ast.expr) -> bool:
        """``Role.X``, or a set, tuple, list or frozenset holding one."""
        if isinstance(node, ast.Attribute) and self._is_role_class(node.value):
            return True
        if isinstance(node, ast.Set | ast.Tuple | ast.List):
            return any(self._is_role_literal(element) for element in node.elts)
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in {"frozenset", "set", "tuple"}
            and node.args
        ):
            return self._is_role_literal(node.args[0])
        return False

    def _is_role_value(self, node: ast.expr) -> bool:
        """A user's role: ``x.role``, ``x.role_enum``, ``Role(…)``."""
        if isinstance(node, ast.Attribute) and node.attr in {"role", "role_enum"}:
            return True
        return isinstance(node, ast.Call) and self._is_role_class(node.func)

    def _is_other_enum_member(self, node: ast.expr) -> bool:
        """``NominalRole.VICTIM``: a member of another choices class, not a user's role."""
        if not isinstance(node, ast.Attribute) or self._is_role_class(node.value):
            return False
        owner = node.value
        return isinstance(owner, ast.Name) and owner.id[:1].isupper()

    def _is_string_role(self, node: ast.expr) -> bool:
        """``"officer"``, or a container of role values as strings."""
        if isinstance(node, ast.Constant):
            return node.value in ROLE_VALUES
        if isinstance(node, ast.Set | ast.Tuple | ast.List):
            return any(self._is_string_role(element) for element in node.elts)
        return False

    @staticmethod
    def _names_a_role(node: ast.expr) -> bool:
        """A variable or attribute named for a role: ``role``, ``user_role``, ``x.role``."""
        if isinstance(node, ast.Name):
            return "role" in node.id.lower()
        return isinstance(node, ast.Attribute) and "role" in node.attr.lower()

    # --- where we are ---------------------------------------------------------------------------

    def _scoped(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) -> None:
        self.stack.append(node.name)
        self.generic_visit(node)
        self.stack.pop()

    visit_FunctionDef = _scoped
    visit_AsyncFunctionDef = _scoped
    visit_ClassDef = _scoped

    def _report(self, node: ast.AST) -> None:
        code = ast.get_source_segment(self.source, node) or ast.dump(node)
        self.findings.append(
            Finding(
                path=self.path,
                line=getattr(node, "lineno", 0),
                scope=".".join(self.stack) or "<module>",
                code=" ".join(code.split()),
            )
        )

    # --- comparisons ----------------------------------------------------------------------------

    def visit_Compare(self, node: ast.Compare) -> None:
        operands = [node.left, *node.comparators]
        role_as_text = any(self._is_string_role(o) for o in operands) and any(
            self._names_a_role(o) for o in operands
        )
        if role_as_text or any(self._is_role_literal(operand) for operand in operands):
            self._report(node)
        elif any(self._is_role_value(operand) for operand in operands):
            others = [operand for operand in operands if not self._is_role_value(operand)]
            if not others or not all(self._is_other_enum_member(o) for o in others):
                self._report(node)
        self.generic_visit(node)

    def visit_Match(self, node: ast.Match) -> None:
        if self._is_role_value(node.subject):
            self._report(node.subject)
        self.generic_visit(node)

    def visit_MatchValue(self, node: ast.MatchValue) -> None:
        if self._is_role_literal(node.value):
            self._report(node)
        self.generic_visit(node)


def python_findings() -> list[Finding]:
    findings: list[Finding] = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if _is_policy_module(path) or _is_test_code(path):
            continue
        source = path.read_text(encoding="utf-8")
        visitor = _RoleComparisons(str(path.relative_to(ROOT)), source)
        visitor.visit(ast.parse(source, filename=str(path)))
        findings.extend(visitor.findings)
    return findings


TEMPLATE_CONDITION = re.compile(r"{%-?\s*(?:if|elif)\b(?P<test>.*?)-?%}", re.DOTALL)
ROLE_IN_TEMPLATE = re.compile(r"\brole(?:_enum)?\b")
COMPARISON_IN_TEMPLATE = re.compile(r"==|!=|\bin\b")


def template_findings(package: Path = PACKAGE) -> list[Finding]:
    findings: list[Finding] = []
    for path in sorted(package.rglob("templates/**/*.html")):
        text = path.read_text(encoding="utf-8")
        for match in TEMPLATE_CONDITION.finditer(text):
            test = match.group("test")
            if ROLE_IN_TEMPLATE.search(test) and COMPARISON_IN_TEMPLATE.search(test):
                findings.append(
                    Finding(
                        path=str(path.relative_to(package.parent)),
                        line=text.count("\n", 0, match.start()) + 1,
                        scope="<template>",
                        code=" ".join(match.group(0).split()),
                    )
                )
    return findings


def test_no_role_comparison_outside_the_policy_modules():
    findings = python_findings() + template_findings()
    unexpected = [f for f in findings if (f.path, f.scope) not in ALLOWED]
    assert not unexpected, (
        "A role is compared outside the permission layer. Move the rule into the app's "
        "policies.py / access.py (or registry/permissions.py) as a named predicate, and call "
        "it:\n" + "\n".join(str(f) for f in sorted(unexpected))
    )


def test_every_allowed_role_comparison_still_exists():
    """The allow-list stays tight: an entry whose comparison has gone is removed."""
    found = {(f.path, f.scope) for f in python_findings() + template_findings()}
    stale = sorted(key for key in ALLOWED if key not in found)
    assert not stale, "Remove these entries from ALLOWED, they compare no role any more: " + (
        ", ".join(f"{path} {scope}" for path, scope in stale)
    )


# --- the checker itself -------------------------------------------------------------------------


def _check(source: str) -> list[str]:
    visitor = _RoleComparisons("liaison/example/views.py", source)
    visitor.visit(ast.parse(source))
    return [f.code for f in visitor.findings]


@pytest.mark.parametrize(
    "source",
    [
        "def f(user):\n    return user.role == Role.OFFICER",
        "def f(user):\n    return user.role != 'officer'",
        "def f(user):\n    return user.role in {Role.OFFICER, Role.HEAD_OF_BLO}",
        "def f(user):\n    return user.role in STAFF_ROLES",
        "def f(user):\n    return user.role in selectors.STAFF_ROLES",
        "def f(user):\n    return Role.SYSTEM_ADMINISTRATOR == user.role",
        "def f(user):\n    return user.role_enum is Role.OFFICER",
        "def f(user):\n    return Role(user.role) in (Role.OFFICER,)",
        "def f(role):\n    return role in frozenset({Role.OFFICER})",
        "def f(role):\n    return role == 'national_coordinator'",
        "def f(user_role):\n    return user_role in ('officer', 'head_of_blo')",
        "from liaison.registry.models import Role as R\ndef f(u):\n    return u.role == R.OFFICER",
        "def f(user):\n    match user.role:\n        case _:\n            pass",
        "def f(x):\n    match x:\n        case Role.OFFICER:\n            pass",
    ],
)
def test_checker_finds_role_comparisons(source):
    assert _check(source)


@pytest.mark.parametrize(
    "source",
    [
        "def f(n):\n    return n.role == NominalRole.VICTIM",
        "def f(user):\n    return user.is_active == True",
        "def f(user):\n    return can_share(user.role)",
        "def f():\n    return User(role=Role.OFFICER)",
        "def f(kind):\n    return kind == 'officer'",
    ],
)
def test_checker_leaves_other_comparisons(source):
    assert not _check(source)


def test_checker_finds_role_conditions_in_templates(tmp_path):
    templates = tmp_path / "liaison" / "app" / "templates" / "app"
    templates.mkdir(parents=True)
    (templates / "menu.html").write_text(
        '<nav>{% if user.role == "officer" %}x{% endif %}'
        "{% if user.is_staff %}y{% endif %}"
        "{% elif request.user.role in roles %}z</nav>",
        encoding="utf-8",
    )
    codes = [f.code for f in template_findings(tmp_path / "liaison")]
    assert codes == ['{% if user.role == "officer" %}', "{% elif request.user.role in roles %}"]


# --- app boundaries -----------------------------------------------------------------------------


def test_import_contracts_hold():
    """The app boundaries the README states, as import-linter contracts (pyproject.toml)."""
    lint_imports = shutil.which("lint-imports")
    assert lint_imports is not None, "import-linter is a dev dependency: uv sync"
    result = subprocess.run(  # noqa: S603 - our own tool, fixed arguments
        [lint_imports, "--no-cache"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
