#!/usr/bin/env python3
"""
Derive, from a ComfyUI custom node pack's Python source, which node inputs name model files and
which folder each maps to, which folders the pack registers, and which calls fetch weights at
run time. Reads the source with `ast` and evaluates a small, safe subset of Python symbolically:
nothing of the pack is imported or executed.

    python3 scripts/derive_pack_loaders.py --git-dir DIR [--commit REV] --pack owner/repo
    python3 scripts/derive_pack_loaders.py --dir FOLDER --pack owner/repo

Prints one JSON object (see scripts/README.md, "derive-pack-loaders"). Called by
scripts/derive-pack-loaders.ts, which merges the result into the scanner's tables.

Why an evaluator and not regexes: packs build their INPUT_TYPES from module constants, helper
functions, list concatenations (`["None"] + folder_paths.get_filename_list("loras")`), loops
that number inputs (`lora_name_1..49`), class attributes and imported names. Following those
needs the real syntax tree and name resolution, which `ast` gives for free and exactly.
"""
from __future__ import annotations

import argparse
import ast
import json
import os
import posixpath
import subprocess
import sys
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

# ---------------------------------------------------------------- values

class V:
    """A symbolic value."""


@dataclass(eq=False)
class Const(V):
    value: Any


@dataclass(eq=False)
class Seq(V):
    items: list
    kind: str = 'list'


@dataclass(eq=False)
class Dict(V):
    keys: list = field(default_factory=list)    # list[V]
    values: list = field(default_factory=list)  # list[V]

    def get(self, key: str) -> V | None:
        for k, v in zip(self.keys, self.values):
            if isinstance(k, Const) and k.value == key:
                return v
        return None

    def set(self, key: V, value: V) -> None:
        if isinstance(key, Const):
            for i, k in enumerate(self.keys):
                if isinstance(k, Const) and k.value == key.value:
                    self.values[i] = value
                    return
        self.keys.append(key)
        self.values.append(value)


@dataclass(eq=False)
class PathV(V):
    """A path below a known root: models (folder_paths.models_dir), comfy (base_path), output,
    input, temp, user, pack (the pack's own folder), home, cache (HF/torch caches)."""
    root: str
    parts: tuple

    def text(self) -> str:
        return '/'.join((self.root,) + tuple(self.parts))


@dataclass(eq=False)
class Files(V):
    """A combo list of files: (folder key or None, prefix, dir PathV or None) sources plus literal
    non-file values."""
    sources: list           # list[dict(folder=, prefix=, dir=, via=)]
    extra: list = field(default_factory=list)


@dataclass(eq=False)
class FileItem(V):
    """One element of a file list, while a loop or comprehension walks it."""
    files: Files


@dataclass(eq=False)
class FolderDirs(V):
    """folder_paths.get_folder_paths(key): the directories of a registered folder."""
    key: str


@dataclass(eq=False)
class Param(V):
    """A function parameter (a node input when the function is the node's FUNCTION)."""
    name: str


@dataclass(eq=False)
class Sym(V):
    """A value the evaluator cannot compute, kept as source text (for reports)."""
    text: str


@dataclass(eq=False)
class Unknown(V):
    why: str = ''


@dataclass(eq=False)
class Ext(V):
    """A name from outside the pack (import of folder_paths, os, comfy_api.latest.io, …)."""
    dotted: str


@dataclass(eq=False)
class FuncRef(V):
    node: ast.AST
    module: 'Module'
    owner: 'ClassRef | None' = None
    bound: V | None = None
    closure: dict | None = None


@dataclass(eq=False)
class ClassRef(V):
    node: ast.ClassDef
    module: 'Module'
    attrs: dict = field(default_factory=dict)
    evaluated: bool = False
    closure: dict | None = None


@dataclass(eq=False)
class CoreClass(V):
    """A loader class of ComfyUI itself (nodes.LoraLoader): its file inputs come from the
    scanner's own table (src/scan/loader-nodes.json, `core`)."""
    name: str


@dataclass(eq=False)
class SuperProxy(V):
    cls: 'ClassRef'
    bound: V | None


@dataclass(eq=False)
class Instance(V):
    cls: ClassRef
    attrs: dict = field(default_factory=dict)


@dataclass(eq=False)
class V3Input(V):
    name: str
    io_type: str
    options: V | None
    optional: bool
    force_input: bool
    control: V | None
    line: int


@dataclass(eq=False)
class V3Schema(V):
    node_id: V
    inputs: list
    line: int


@dataclass(eq=False)
class ModuleV(V):
    module: 'Module'


UNKNOWN = Unknown()


def text_of(v: V) -> str | None:
    if isinstance(v, Const) and isinstance(v.value, str):
        return v.value
    return None


# ---------------------------------------------------------------- pack files

class Source:
    def __init__(self, git_dir: str | None, commit: str | None, folder: str | None):
        self.git_dir, self.folder = git_dir, folder
        self.commit = commit
        if git_dir:
            self.commit = self._git('rev-parse', commit or 'HEAD').strip()

    def _git(self, *args: str) -> str:
        return subprocess.run(['git', '--git-dir', self.git_dir, *args], check=True, capture_output=True, text=True).stdout

    def python_files(self) -> dict[str, str]:
        files: dict[str, str] = {}
        if self.git_dir:
            names = [n for n in self._git('ls-tree', '-r', '--name-only', '-z', self.commit).split('\0') if n.endswith('.py')]
            if not names:
                return files
            # One `cat-file --batch` for all blobs: fast and never touches a work tree.
            spec = ''.join(f'{self.commit}:{n}\n' for n in names)
            out = subprocess.run(['git', '--git-dir', self.git_dir, 'cat-file', '--batch'], input=spec.encode(), capture_output=True, check=True).stdout
            pos = 0
            for name in names:
                nl = out.index(b'\n', pos)
                header = out[pos:nl].split()
                pos = nl + 1
                if len(header) < 3 or header[1] != b'blob':
                    continue
                size = int(header[2])
                files[name] = out[pos:pos + size].decode('utf-8', 'replace')
                pos += size + 1
        else:
            for dirpath, dirnames, filenames in os.walk(self.folder):
                dirnames[:] = sorted(d for d in dirnames if not d.startswith('.'))
                for f in sorted(filenames):
                    if f.endswith('.py'):
                        full = os.path.join(dirpath, f)
                        rel = os.path.relpath(full, self.folder).replace(os.sep, '/')
                        with open(full, encoding='utf-8', errors='replace') as fh:
                            files[rel] = fh.read()
        return files


# Top-level modules ComfyUI provides: `import nodes` in a pack is ComfyUI's nodes.py.
COMFY_MODULES = {'nodes', 'folder_paths', 'comfy', 'comfy_extras', 'comfy_execution', 'comfy_api', 'comfy_api_nodes',
                 'comfy_config', 'server', 'execution', 'latent_preview', 'node_helpers', 'app', 'utils', 'main', 'protocol'}

# Folders of vendored libraries and tests: their classes are no ComfyUI nodes, and their code
# would only slow the evaluation down.
SKIP_DIRS = ('test/', 'tests/', '.github/', 'docs/', 'example/', 'examples/')


class Module:
    def __init__(self, pack: 'Pack', path: str, tree: ast.Module):
        self.pack, self.path, self.tree = pack, path, tree
        self.env: dict[str, V] = {}
        self.state = 'new'   # new → running → done
        parts = path[:-3].split('/')
        if parts[-1] == '__init__':
            parts = parts[:-1]
            self.package = '/'.join(parts)
        else:
            self.package = '/'.join(parts[:-1])
        self.name = '.'.join(parts)

    def at(self, node: ast.AST) -> str:
        return f'{self.path}:{getattr(node, "lineno", 0)}'


# ---------------------------------------------------------------- the evaluator

MAX_DEPTH = 8
MAX_UNROLL = 128
STEP_BUDGET = 200_000


class Return(Exception):
    def __init__(self, value: V):
        self.value = value


class Budget(Exception):
    pass


class Pack:
    def __init__(self, files: dict[str, str]):
        self.modules: dict[str, Module] = {}
        self.by_name: dict[str, Module] = {}
        self.problems: list[str] = []
        for path, text in sorted(files.items()):
            if any(path.startswith(d) or f'/{d}' in path for d in SKIP_DIRS):
                continue
            try:
                tree = ast.parse(text, filename=path)
            except (SyntaxError, ValueError) as e:
                self.problems.append(f'{path}: not parsed ({type(e).__name__}: {e})')
                continue
            m = Module(self, path, tree)
            self.modules[path] = m
            self.by_name[m.name] = m
        self.registrations: list[dict] = []
        self.downloads: list[dict] = []
        self.calls: dict[int, set] = {}        # id(func node) → callee func nodes
        self.call_names: dict[int, set] = {}   # id(func node) → unresolved callee names
        self.func_meta: dict[int, tuple] = {}  # id(func node) → (module, node, owner)
        self.depth = 0
        self.steps = 0
        self.recording: list[int] = []         # stack of func node ids being evaluated
        self.ran: set[int] = set()

    # ---------------- modules and imports

    def module(self, dotted: str, from_module: Module | None = None, level: int = 0) -> Module | None:
        if level:
            base = from_module.package.split('/') if from_module.package else []
            if level > 1:
                base = base[:len(base) - (level - 1)] if level - 1 <= len(base) else []
            name = '.'.join(base + ([dotted] if dotted else []))
        else:
            name = dotted
        if not level and name.split('.')[0] in COMFY_MODULES:
            return None     # ComfyUI's own modules win over a pack file of the same name
        m = self.by_name.get(name)
        if m is None and not level:
            # Absolute imports of the pack's own modules (sys.path tricks): `from utils_x import y`.
            m = next((mm for n, mm in self.by_name.items() if n.endswith('.' + name)), None)
        return m

    def run_module(self, m: Module) -> dict[str, V]:
        if m.state != 'new':
            return m.env
        m.state = 'running'
        m.env['__file__'] = PathV('pack', tuple(m.path.split('/')))
        m.env['__name__'] = Const(m.name)
        # Statement by statement, each with its own budget: one statement the evaluator gives up
        # on (a huge loop, deep recursion) must not hide the NODE_CLASS_MAPPINGS after it.
        for stmt in m.tree.body:
            saved = self.limit
            self.limit = self.steps + STEP_BUDGET
            try:
                self.exec_stmt(stmt, m.env, m, None)
            except (Return, Budget, RecursionError):
                pass
            finally:
                self.limit = max(saved, self.steps + 1) if saved else 0
        m.state = 'done'
        return m.env

    def lookup_in_module(self, m: Module, name: str) -> V:
        env = self.run_module(m)
        if name in env:
            return env[name]
        sub = self.by_name.get(f'{m.name}.{name}' if m.name else name)
        if sub is not None:
            return ModuleV(sub)
        return UNKNOWN

    # ---------------- statements

    def exec_body(self, body: list, env: dict, m: Module, owner: ClassRef | None) -> None:
        for stmt in body:
            self.exec_stmt(stmt, env, m, owner)

    limit = 0

    def tick(self) -> None:
        self.steps += 1
        if self.limit and self.steps > self.limit:
            raise Budget()

    def exec_stmt(self, s: ast.stmt, env: dict, m: Module, owner: ClassRef | None) -> None:
        self.tick()
        if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef)):
            # Only a def in a class body is a method; one nested in a method body is a plain function.
            method_owner = owner if env.get('__class_body__') else None
            env[s.name] = FuncRef(s, m, method_owner, None, env if env is not m.env else None)
        elif isinstance(s, ast.ClassDef):
            env[s.name] = ClassRef(s, m, closure=env if env is not m.env else None)
        elif isinstance(s, ast.Import):
            for a in s.names:
                local = a.asname or a.name.split('.')[0]
                target = self.module(a.name)
                if target is not None and a.asname:
                    env[local] = ModuleV(target)
                elif target is not None and '.' not in a.name:
                    env[local] = ModuleV(target)
                else:
                    env[local] = Ext(a.name if a.asname else a.name.split('.')[0])
        elif isinstance(s, ast.ImportFrom):
            target = self.module(s.module or '', m, s.level)
            for a in s.names:
                if s.level and (target is None or target is m or (target.state == 'done' and a.name not in target.env)):
                    sub = self.module(((s.module + '.') if s.module else '') + a.name, m, s.level)
                    if sub is not None and sub is not m:
                        env[a.asname or a.name] = ModuleV(sub)
                        continue
                if a.name == '*':
                    if target is not None and target is not m:
                        for k, v in self.run_module(target).items():
                            if not k.startswith('_'):
                                env[k] = v
                    continue
                local = a.asname or a.name
                if target is not None and target is not m:
                    if target.state == 'running':
                        env[local] = Lazy(self, target, a.name)
                    else:
                        env[local] = self.lookup_in_module(target, a.name)
                elif s.level and target is None:
                    sub = self.module(((s.module + '.') if s.module else '') + a.name, m, s.level)
                    env[local] = ModuleV(sub) if sub else UNKNOWN
                else:
                    env[local] = Ext(f'{s.module}.{a.name}' if s.module else a.name)
        elif isinstance(s, ast.Assign):
            value = self.eval(s.value, env, m, owner)
            for t in s.targets:
                self.assign(t, value, env, m, owner)
        elif isinstance(s, ast.AnnAssign):
            if s.value is not None:
                self.assign(s.target, self.eval(s.value, env, m, owner), env, m, owner)
        elif isinstance(s, ast.AugAssign):
            cur = self.eval(s.target, env, m, owner) if isinstance(s.target, (ast.Name, ast.Subscript, ast.Attribute)) else UNKNOWN
            value = self.binop(s.op, cur, self.eval(s.value, env, m, owner))
            self.assign(s.target, value, env, m, owner)
        elif isinstance(s, ast.Expr):
            self.eval(s.value, env, m, owner)
        elif isinstance(s, ast.Return):
            raise Return(self.eval(s.value, env, m, owner) if s.value else Const(None))
        elif isinstance(s, ast.If):
            test = self.eval(s.test, env, m, owner)
            truth = self.truth(test)
            if truth is True:
                self.exec_body(s.body, env, m, owner)
            elif truth is False:
                self.exec_body(s.orelse, env, m, owner)
            else:
                self.branch(s.body, s.orelse, env, m, owner)
        elif isinstance(s, (ast.For, ast.AsyncFor)):
            self.exec_for(s, env, m, owner)
        elif isinstance(s, ast.While):
            try:
                self.exec_body(s.body, env, m, owner)
            except Return:
                pass
        elif isinstance(s, ast.Try) or (hasattr(ast, 'TryStar') and isinstance(s, ast.TryStar)):
            try:
                self.exec_body(s.body, env, m, owner)
            finally:
                # Handlers are alternatives; run them so their calls are seen, without letting
                # a return there hide the body's.
                for h in s.handlers:
                    try:
                        self.exec_body(h.body, dict(env), m, owner)
                    except Return:
                        pass
                self.exec_body(s.orelse, env, m, owner)
                self.exec_body(s.finalbody, env, m, owner)
        elif isinstance(s, (ast.With, ast.AsyncWith)):
            for item in s.items:
                v = self.eval(item.context_expr, env, m, owner)
                if item.optional_vars is not None:
                    self.assign(item.optional_vars, UNKNOWN if not isinstance(v, Const) else v, env, m, owner)
            self.exec_body(s.body, env, m, owner)
        elif isinstance(s, ast.Match):
            for case in s.cases:
                try:
                    self.exec_body(case.body, env, m, owner)
                except Return:
                    pass
        # pass, break, continue, raise, global, delete, assert: nothing to follow

    def branch(self, body: list, orelse: list, env: dict, m: Module, owner) -> None:
        a, b = dict(env), dict(env)
        ret_a = ret_b = None
        try:
            self.exec_body(body, a, m, owner)
        except Return as r:
            ret_a = r
        try:
            self.exec_body(orelse, b, m, owner)
        except Return as r:
            ret_b = r
        for k in set(a) | set(b):
            va, vb = a.get(k), b.get(k)
            env[k] = merge(va, vb)
        if ret_a and ret_b:
            raise Return(merge(ret_a.value, ret_b.value))
        if ret_a and not orelse:
            # `if cond: return x` then more code: both paths exist; keep the richer one later.
            self.pending_returns.append(ret_a.value)
        elif ret_a:
            raise ret_a
        elif ret_b:
            self.pending_returns.append(ret_b.value)

    pending_returns: list = []

    def exec_for(self, s, env: dict, m: Module, owner) -> None:
        it = self.eval(s.iter, env, m, owner)
        items = iter_items(it)
        if items is not None and len(items) <= MAX_UNROLL:
            for item in items:
                self.assign(s.target, item, env, m, owner)
                self.exec_body(s.body, env, m, owner)
            return
        self.assign(s.target, UNKNOWN, env, m, owner)
        try:
            self.exec_body(s.body, env, m, owner)
        except Return:
            pass

    def assign(self, target: ast.AST, value: V, env: dict, m: Module, owner) -> None:
        if isinstance(target, ast.Name):
            env[target.id] = value
        elif isinstance(target, (ast.Tuple, ast.List)):
            if isinstance(value, FolderEntry) and len(target.elts) == 2:
                value = Seq([FolderDirs(value.key), UNKNOWN], 'tuple')
            items = value.items if isinstance(value, Seq) and len(value.items) == len(target.elts) else None
            for i, t in enumerate(target.elts):
                self.assign(t, items[i] if items else UNKNOWN, env, m, owner)
        elif isinstance(target, ast.Subscript):
            obj = self.eval(target.value, env, m, owner)
            key = self.eval(target.slice, env, m, owner)
            if isinstance(obj, Dict):
                obj.set(key, value)
            elif isinstance(obj, Ext) and obj.dotted.endswith('folder_paths.folder_names_and_paths'):
                self.register_folder(key, value, m, target, 'folder_names_and_paths')
        elif isinstance(target, ast.Attribute):
            obj = self.eval(target.value, env, m, owner)
            if isinstance(obj, (ClassRef, Instance)):
                obj.attrs[target.attr] = value

    # ---------------- expressions

    def eval(self, e: ast.AST | None, env: dict, m: Module, owner) -> V:
        if e is None:
            return Const(None)
        self.tick()
        try:
            v = self._eval(e, env, m, owner)
        except (Return, Budget):
            raise
        except RecursionError:
            raise Budget()
        except Exception:  # noqa: BLE001 - symbolic evaluation never stops the whole pack
            v = UNKNOWN
        if isinstance(v, (Unknown, Sym)) and isinstance(e, (ast.Call, ast.Subscript, ast.Attribute, ast.BinOp)) and mentions_param(e, env):
            return Sym(self.describe(e, env, m, owner))
        return v

    def _eval(self, e: ast.AST, env: dict, m: Module, owner) -> V:
        if isinstance(e, ast.Constant):
            return Const(e.value)
        if isinstance(e, ast.Name):
            return self.name(e.id, env, m)
        if isinstance(e, (ast.List, ast.Tuple, ast.Set)):
            items: list = []
            for elt in e.elts:
                if isinstance(elt, ast.Starred):
                    inner = self.eval(elt.value, env, m, owner)
                    if isinstance(inner, Seq):
                        items.extend(inner.items)
                    elif isinstance(inner, Files):
                        return self.concat(Seq(items), inner)
                    else:
                        items.append(UNKNOWN)
                else:
                    items.append(self.eval(elt, env, m, owner))
            return Seq(items, 'tuple' if isinstance(e, ast.Tuple) else 'list')
        if isinstance(e, ast.Dict):
            d = Dict()
            for k, v in zip(e.keys, e.values):
                if k is None:
                    inner = self.eval(v, env, m, owner)
                    if isinstance(inner, Dict):
                        for kk, vv in zip(inner.keys, inner.values):
                            d.set(kk, vv)
                    continue
                d.set(self.eval(k, env, m, owner), self.eval(v, env, m, owner))
            return d
        if isinstance(e, ast.JoinedStr):
            out = []
            for part in e.values:
                if isinstance(part, ast.Constant):
                    out.append(str(part.value))
                elif isinstance(part, ast.FormattedValue):
                    v = self.eval(part.value, env, m, owner)
                    if isinstance(v, FileItem) and part is e.values[-1] and all(isinstance(x, ast.Constant) for x in e.values[:-1]):
                        return FileItem(prefixed(v.files, ''.join(out)))
                    if isinstance(v, Const) and part.format_spec is None and part.conversion == -1:
                        out.append(str(v.value))
                    else:
                        out.append('{' + self.describe(part.value, env, m, owner) + '}')
                        return Sym(''.join(out) + '…')
            return Const(''.join(out))
        if isinstance(e, ast.BinOp):
            return self.binop(e.op, self.eval(e.left, env, m, owner), self.eval(e.right, env, m, owner), e, env, m, owner)
        if isinstance(e, ast.BoolOp):
            vals = [self.eval(v, env, m, owner) for v in e.values]
            for v in vals:
                if isinstance(v, (Files, Dict)):
                    return v
            if isinstance(e.op, ast.Or):
                for v in vals:
                    t = self.truth(v)
                    if t is True:
                        return v
                    if t is None:
                        return v if not isinstance(v, Unknown) else vals[-1]
                return vals[-1]
            return vals[-1]
        if isinstance(e, ast.UnaryOp):
            v = self.eval(e.operand, env, m, owner)
            if isinstance(v, Const):
                try:
                    if isinstance(e.op, ast.Not):
                        return Const(not v.value)
                    if isinstance(e.op, ast.USub):
                        return Const(-v.value)
                except Exception:  # noqa: BLE001
                    return UNKNOWN
            return UNKNOWN
        if isinstance(e, ast.Compare):
            left = self.eval(e.left, env, m, owner)
            if len(e.ops) == 1:
                right = self.eval(e.comparators[0], env, m, owner)
                if isinstance(left, Const) and isinstance(right, Const):
                    try:
                        op = e.ops[0]
                        if isinstance(op, ast.Eq):
                            return Const(left.value == right.value)
                        if isinstance(op, ast.NotEq):
                            return Const(left.value != right.value)
                        if isinstance(op, ast.In):
                            return Const(left.value in right.value)
                        if isinstance(op, ast.NotIn):
                            return Const(left.value not in right.value)
                    except Exception:  # noqa: BLE001
                        return UNKNOWN
            return UNKNOWN
        if isinstance(e, ast.IfExp):
            t = self.truth(self.eval(e.test, env, m, owner))
            if t is True:
                return self.eval(e.body, env, m, owner)
            if t is False:
                return self.eval(e.orelse, env, m, owner)
            return merge(self.eval(e.body, env, m, owner), self.eval(e.orelse, env, m, owner))
        if isinstance(e, ast.Attribute):
            return self.attribute(self.eval(e.value, env, m, owner), e.attr, e, env, m)
        if isinstance(e, ast.Subscript):
            obj = self.eval(e.value, env, m, owner)
            key = self.eval(e.slice, env, m, owner)
            return self.subscript(obj, key)
        if isinstance(e, ast.Call):
            return self.call(e, env, m, owner)
        if isinstance(e, (ast.ListComp, ast.SetComp, ast.GeneratorExp)):
            return self.comprehension(e, env, m, owner)
        if isinstance(e, ast.DictComp):
            return self.dict_comprehension(e, env, m, owner)
        if isinstance(e, ast.Lambda):
            return FuncRef(e, m, None)
        if isinstance(e, ast.Starred):
            return self.eval(e.value, env, m, owner)
        if isinstance(e, ast.NamedExpr):
            v = self.eval(e.value, env, m, owner)
            self.assign(e.target, v, env, m, owner)
            return v
        return UNKNOWN

    def name(self, n: str, env: dict, m: Module) -> V:
        scope: dict | None = env
        while scope is not None:
            if n in scope:
                v = scope[n]
                return v.resolve() if isinstance(v, Lazy) else v
            scope = scope.get('__closure__')
        if n in m.env:
            v = m.env[n]
            return v.resolve() if isinstance(v, Lazy) else v
        if n in BUILTINS:
            return Ext(f'builtins.{n}')
        return UNKNOWN

    def describe(self, e: ast.AST, env: dict, m: Module, owner) -> str:
        """Source text of an expression, with parameters shown as ${name}."""
        try:
            text = ast.unparse(e)
        except Exception:  # noqa: BLE001
            return '?'
        return text

    def truth(self, v: V) -> bool | None:
        if isinstance(v, Const):
            try:
                return bool(v.value)
            except Exception:  # noqa: BLE001
                return None
        return None

    def binop(self, op, a: V, b: V, e=None, env=None, m=None, owner=None) -> V:
        if isinstance(op, ast.Add):
            if isinstance(a, Const) and isinstance(b, Const):
                try:
                    return Const(a.value + b.value)
                except Exception:  # noqa: BLE001
                    return UNKNOWN
            if isinstance(a, Const) and isinstance(a.value, str) and isinstance(b, FileItem):
                return FileItem(prefixed(b.files, a.value))
            if isinstance(a, FileItem) and isinstance(b, Const):
                return a
            if isinstance(a, (Seq, Files)) and isinstance(b, (Seq, Files)):
                return self.concat(a, b)
            if isinstance(a, (Seq, Files)) and isinstance(b, Unknown):
                return a
            # comfy.samplers.KSampler.SCHEDULERS + ['AYS SDXL', …]: still a combo list.
            if isinstance(a, Seq) and isinstance(b, Ext):
                return Seq(a.items + [UNKNOWN], a.kind)
            if isinstance(a, Ext) and isinstance(b, Seq):
                return Seq([UNKNOWN] + b.items, b.kind)
            if isinstance(b, Files) and isinstance(a, Unknown):
                return b
            if isinstance(a, PathV) and isinstance(b, Const) and isinstance(b.value, str):
                return PathV(a.root, a.parts[:-1] + ((a.parts[-1] if a.parts else '') + b.value,))
            return UNKNOWN
        if isinstance(op, ast.Div) and isinstance(a, PathV):
            return path_join(a, [b])
        if isinstance(op, ast.Div) and isinstance(a, FolderDir):
            return path_join(PathV(f'folder:{a.key}', ()), [b])
        if isinstance(op, ast.Mod) and isinstance(a, Const) and isinstance(b, (Const, Seq)):
            try:
                args = tuple(x.value for x in b.items) if isinstance(b, Seq) else b.value
                return Const(a.value % args)
            except Exception:  # noqa: BLE001
                return UNKNOWN
        if isinstance(op, ast.BitOr) and isinstance(a, Dict) and isinstance(b, Dict):
            d = Dict(list(a.keys), list(a.values))
            for k, v in zip(b.keys, b.values):
                d.set(k, v)
            return d
        if isinstance(a, Const) and isinstance(b, Const):
            try:
                fn = {ast.Sub: lambda x, y: x - y, ast.Mult: lambda x, y: x * y, ast.FloorDiv: lambda x, y: x // y,
                      ast.Div: lambda x, y: x / y, ast.Mod: lambda x, y: x % y, ast.Pow: lambda x, y: x ** y}.get(type(op))
                if fn:
                    return Const(fn(a.value, b.value))
            except Exception:  # noqa: BLE001
                return UNKNOWN
        return UNKNOWN

    def concat(self, a: V, b: V) -> V:
        if isinstance(a, Seq) and isinstance(b, Seq):
            return Seq(a.items + b.items, a.kind)
        sources: list = []
        extra: list = []
        for part in (a, b):
            if isinstance(part, Files):
                sources += [s for s in part.sources if s not in sources]
                extra += part.extra
            else:
                for item in part.items:
                    if isinstance(item, Const) and isinstance(item.value, str):
                        extra.append(item.value)
                    elif isinstance(item, Files):
                        sources += item.sources
        return Files(sources, extra)

    def attribute(self, obj: V, attr: str, e, env, m) -> V:
        if isinstance(obj, ModuleV):
            return self.lookup_in_module(obj.module, attr)
        if isinstance(obj, Ext):
            dotted = f'{obj.dotted}.{attr}'
            if dotted.endswith('folder_paths.models_dir'):
                return PathV('models', ())
            if dotted.endswith('folder_paths.base_path'):
                return PathV('comfy', ())
            if dotted.endswith('folder_paths.output_directory'):
                return PathV('output', ())
            if dotted.endswith('folder_paths.input_directory'):
                return PathV('input', ())
            if dotted.endswith('folder_paths.supported_pt_extensions'):
                return Seq([Const(x) for x in ('.ckpt', '.pt', '.pt2', '.bin', '.pth', '.safetensors', '.pkl', '.sft')], 'set')
            return core_class(dotted) or Ext(dotted)
        if isinstance(obj, CoreClass):
            return self.class_attr(obj, attr)
        if isinstance(obj, SuperProxy):
            v = self.class_attr(obj.cls, attr, skip_own=True)
            if isinstance(v, FuncRef):
                return FuncRef(v.node, v.module, v.owner, obj.bound, v.closure)
            return v
        if isinstance(obj, ClassRef):
            return self.class_attr(obj, attr)
        if isinstance(obj, Instance):
            if attr in obj.attrs:
                return obj.attrs[attr]
            v = self.class_attr(obj.cls, attr)
            if isinstance(v, FuncRef):
                return FuncRef(v.node, v.module, v.owner, obj)
            return v
        if isinstance(obj, PathV):
            if attr == 'parent':
                return PathV(obj.root, obj.parts[:-1])
            if attr == 'name':
                return Const(obj.parts[-1]) if obj.parts else UNKNOWN
            if attr in ('resolve', 'absolute', 'as_posix', 'expanduser'):
                return BoundPath(obj, attr)
            return BoundPath(obj, attr)
        if isinstance(obj, FileItem):
            if attr == 'name':
                return obj        # pathlib: the listed entry's file name
            if attr in ('stem', 'suffix', 'parent'):
                return UNKNOWN
        if isinstance(obj, (FolderDir, FolderDirs)):
            if attr in ('iterdir', 'glob', 'rglob'):
                return BoundPath(PathV(f'folder:{obj.key}', ()), attr)
            return UNKNOWN
        if isinstance(obj, Const) and attr == 'value' and isinstance(obj.value, str):
            return obj     # Enum members read as their value: CLASSES.CTEXT_NAME.value
        if isinstance(obj, (Dict, Seq, Const, Files, FileItem)):
            return Method(obj, attr)
        if isinstance(obj, Param):
            return Sym(f'{obj.name}.{attr}')
        return UNKNOWN

    def class_attr(self, c: ClassRef, attr: str, skip_own: bool = False) -> V:
        if isinstance(c, CoreClass):
            return CoreMethod(c.name, attr) if attr == 'INPUT_TYPES' else UNKNOWN
        self.class_body(c)
        if attr in c.attrs and attr not in ('__closure__', '__class_body__') and not skip_own:
            return c.attrs[attr]
        for base in self.bases(c):
            v = self.class_attr(base, attr)
            if not isinstance(v, Unknown):
                return v
        return UNKNOWN

    def class_body(self, c: ClassRef) -> None:
        if c.evaluated:
            return
        c.evaluated = True
        env = c.attrs
        env['__class_body__'] = True
        if c.closure is not None:
            env['__closure__'] = c.closure
        for stmt in c.node.body:
            try:
                self.exec_stmt(stmt, env, c.module, c)
            except (Return, Budget):
                pass
        for k, v in list(env.items()):
            if isinstance(v, FuncRef):
                v.owner = c

    def bases(self, c: ClassRef) -> list:
        out = []
        scope = c.closure if c.closure is not None else c.module.env
        for b in c.node.bases:
            v = self.eval(b, scope, c.module, None)
            if isinstance(v, Lazy):
                v = v.resolve()
            if isinstance(v, Ext):
                v = core_class(v.dotted) or v
            if (isinstance(v, ClassRef) and v is not c) or isinstance(v, CoreClass):
                out.append(v)
        return out

    def subscript(self, obj: V, key: V) -> V:
        if isinstance(obj, Dict) and isinstance(key, Const):
            v = obj.get(key.value)
            return v if v is not None else UNKNOWN
        if isinstance(obj, Seq) and isinstance(key, Const) and isinstance(key.value, int):
            try:
                return obj.items[key.value]
            except IndexError:
                return UNKNOWN
        if isinstance(obj, Const) and isinstance(key, Const):
            try:
                return Const(obj.value[key.value])
            except Exception:  # noqa: BLE001
                return UNKNOWN
        if isinstance(obj, FolderDirs) and isinstance(key, Const) and isinstance(key.value, int):
            return FolderDir(obj.key)
        if isinstance(obj, Ext) and obj.dotted.endswith('folder_paths.folder_names_and_paths') and isinstance(key, Const):
            return FolderEntry(key.value)
        if isinstance(obj, Ext) and obj.dotted == 'nodes.NODE_CLASS_MAPPINGS' and isinstance(key, Const) and key.value in CORE_TABLE:
            return CoreClass(key.value)
        if isinstance(obj, Ext) and obj.dotted == 'sys.modules' and isinstance(key, Const) and isinstance(key.value, str):
            return Ext(key.value)
        if isinstance(obj, FolderEntry) and isinstance(key, Const) and key.value == 0:
            return FolderDirs(obj.key)
        return UNKNOWN

    def comprehension(self, e, env, m, owner) -> V:
        return self.walk_generators(e.generators, e.elt, env, m, owner)

    def walk_generators(self, gens: list, elt: ast.AST, env, m, owner) -> V:
        gen = gens[0]
        items = iter_items(self.eval(gen.iter, env, m, owner))
        if items is None or len(items) > MAX_UNROLL:
            return UNKNOWN
        out = []
        for item in items:
            local = dict(env)
            self.assign(gen.target, item, local, m, owner)
            if not all(self.truth(self.eval(c, local, m, owner)) is not False for c in gen.ifs):
                continue
            if len(gens) > 1:
                inner = self.walk_generators(gens[1:], elt, local, m, owner)
                out.extend(inner.items if isinstance(inner, Seq) else [inner])
            else:
                out.append(self.eval(elt, local, m, owner))
        files = as_files(Seq(out))
        if files is not None and any(isinstance(x, FileItem) for x in out):
            return files
        return Seq(out)

    def dict_comprehension(self, e, env, m, owner) -> V:
        gen = e.generators[0]
        items = iter_items(self.eval(gen.iter, env, m, owner))
        if items is None or len(items) > MAX_UNROLL * 32:
            return UNKNOWN
        d = Dict()
        for item in items:
            local = dict(env)
            self.assign(gen.target, item, local, m, owner)
            if all(self.truth(self.eval(c, local, m, owner)) is not False for c in gen.ifs):
                d.set(self.eval(e.key, local, m, owner), self.eval(e.value, local, m, owner))
        return d

    # ---------------- calls

    def call(self, e: ast.Call, env: dict, m: Module, owner) -> V:
        fn = self.eval(e.func, env, m, owner)
        args = [self.eval(a, env, m, owner) for a in e.args]
        kwargs = {k.arg: self.eval(k.value, env, m, owner) for k in e.keywords if k.arg}
        for k in e.keywords:
            if k.arg is None:
                d = self.eval(k.value, env, m, owner)
                if isinstance(d, Dict):
                    for kk, vv in zip(d.keys, d.values):
                        if isinstance(kk, Const):
                            kwargs[kk.value] = vv
        self.note_call(e, fn)
        if isinstance(fn, CoreMethod):
            return core_input_types(fn.name)
        if isinstance(fn, Ext) and fn.dotted == 'builtins.super':
            if owner is not None:
                return SuperProxy(owner, env.get('self') or env.get('s') or env.get('cls'))
            return UNKNOWN
        if isinstance(fn, Ext):
            return self.external_call(fn.dotted, args, kwargs, e, env, m, owner)
        if isinstance(fn, Method):
            return self.method_call(fn, args, kwargs, e, m)
        if isinstance(fn, BoundPath):
            return fn.call(args)

        if isinstance(fn, FuncRef):
            if not isinstance(fn.node, ast.Lambda):
                self.watch_download_like(fn, e, args, kwargs, env, m, owner)
            return self.invoke(fn, args, kwargs)
        if isinstance(fn, ClassRef):
            inst = Instance(fn)
            init = self.class_attr(fn, '__init__')
            if isinstance(init, FuncRef) and self.depth < 3:
                self.invoke(FuncRef(init.node, init.module, fn, inst), args, kwargs)
            self.watch_download_like(fn, e, args, kwargs, env, m, owner)
            return inst
        # A method of something unknown: `model.from_pretrained("org/repo")`, `hub.load(...)`.
        if isinstance(e.func, ast.Attribute):
            self.watch_download_attr(e.func.attr, e, args, kwargs, env, m, owner)
        return UNKNOWN

    def note_call(self, e: ast.Call, fn: V) -> None:
        if not self.recording:
            return
        caller = self.recording[-1]
        if isinstance(fn, FuncRef):
            self.calls.setdefault(caller, set()).add(id(fn.node))
            self.func_meta.setdefault(id(fn.node), (fn.module, fn.node, fn.owner))
        elif isinstance(fn, ClassRef):
            init = self.class_attr(fn, '__init__')
            if isinstance(init, FuncRef):
                self.calls.setdefault(caller, set()).add(id(init.node))
                self.func_meta.setdefault(id(init.node), (init.module, init.node, fn))
        else:
            name = e.func.attr if isinstance(e.func, ast.Attribute) else e.func.id if isinstance(e.func, ast.Name) else None
            if name:
                self.call_names.setdefault(caller, set()).add(name)

    def invoke(self, fn: FuncRef, args: list, kwargs: dict) -> V:
        if self.depth >= MAX_DEPTH:
            return UNKNOWN
        node = fn.node
        env: dict[str, V] = {}
        if fn.closure is not None:
            env['__closure__'] = fn.closure
        params = node.args
        if isinstance(node, ast.Lambda):
            names = [p.arg for p in params.args]
            local = {n: (args[i] if i < len(args) else kwargs.get(n, Param(n))) for i, n in enumerate(names)}
            local['__closure__'] = fn.closure
            self.depth += 1
            try:
                return self.eval(node.body, local, fn.module, fn.owner)
            finally:
                self.depth -= 1
        positional = params.posonlyargs + params.args
        bound_args = list(args)
        is_static = any(isinstance(d, ast.Name) and d.id == 'staticmethod' for d in node.decorator_list)
        if fn.owner is not None and not is_static and positional:
            first = positional[0].arg
            env[first] = fn.bound if fn.bound is not None else fn.owner
            positional = positional[1:]
        defaults = [None] * (len(positional) - len(params.defaults)) + list(params.defaults)
        for i, p in enumerate(positional):
            if i < len(bound_args):
                env[p.arg] = bound_args[i]
            elif p.arg in kwargs:
                env[p.arg] = kwargs[p.arg]
            elif defaults[i] is not None:
                env[p.arg] = self.eval(defaults[i], fn.module.env, fn.module, fn.owner)
            else:
                env[p.arg] = Param(p.arg)
        for p, d in zip(params.kwonlyargs, params.kw_defaults):
            env[p.arg] = kwargs.get(p.arg) or (self.eval(d, fn.module.env, fn.module, fn.owner) if d is not None else Param(p.arg))
        if params.vararg:
            env[params.vararg.arg] = Seq(bound_args[len(positional):])
        if params.kwarg:
            env[params.kwarg.arg] = Dict([Const(k) for k in kwargs], list(kwargs.values()))
        self.depth += 1
        self.recording.append(id(node))
        self.func_meta.setdefault(id(node), (fn.module, node, fn.owner))
        saved = self.pending_returns
        self.pending_returns = []
        try:
            self.exec_body(node.body, env, fn.module, fn.owner)
            result = richest(self.pending_returns) or Const(None)
        except Return as r:
            result = richest(self.pending_returns + [r.value])
        finally:
            self.depth -= 1
            self.recording.pop()
            self.pending_returns = saved
        return result

    def method_call(self, meth: 'Method', args: list, kwargs: dict, e, m) -> V:
        obj, name = meth.obj, meth.name
        if isinstance(obj, Dict):
            if name == 'update' and args and isinstance(args[0], Dict):
                for k, v in zip(args[0].keys, args[0].values):
                    obj.set(k, v)
                for k, v in kwargs.items():
                    obj.set(Const(k), v)
                return Const(None)
            if name == 'get' and args and isinstance(args[0], Const):
                v = obj.get(args[0].value)
                return v if v is not None else (args[1] if len(args) > 1 else Const(None))
            if name == 'setdefault' and args and isinstance(args[0], Const):
                v = obj.get(args[0].value)
                if v is None:
                    v = args[1] if len(args) > 1 else Const(None)
                    obj.set(args[0], v)
                return v
            if name in ('items', 'keys', 'values', 'copy'):
                if name == 'items':
                    return Seq([Seq([k, v], 'tuple') for k, v in zip(obj.keys, obj.values)])
                if name == 'keys':
                    return Seq(list(obj.keys))
                if name == 'values':
                    return Seq(list(obj.values))
                return Dict(list(obj.keys), list(obj.values))
        if isinstance(obj, Seq):
            if name == 'append' and args:
                obj.items.append(args[0])
                return Const(None)
            if name == 'extend' and args and isinstance(args[0], Seq):
                obj.items.extend(args[0].items)
                return Const(None)
            if name == 'extend' and args and isinstance(args[0], (Files, Dirs)):
                obj.items.append(FileItem(as_files(args[0])))
                return Const(None)
            if name == 'insert' and len(args) == 2 and isinstance(args[0], Const):
                obj.items.insert(args[0].value, args[1])
                return Const(None)
            if name == 'copy':
                return Seq(list(obj.items), obj.kind)
        if isinstance(obj, FileItem):
            # `name.replace(…)`, `name.split(…)[0]`: no longer the file name as listed.
            return FileItem(Files([dict(s, transformed=f'.{name}()') for s in obj.files.sources], []))
        if isinstance(obj, Files):
            if name in ('copy', 'sort'):
                return obj
            if name == 'insert' and len(args) == 2 and isinstance(args[1], Const):
                obj.extra.append(args[1].value)
                return Const(None)
            if name == 'append' and args and isinstance(args[0], Const):
                obj.extra.append(args[0].value)
                return Const(None)
            if name == 'extend' and args and isinstance(args[0], (Seq, Files)):
                merged = self.concat(obj, args[0])
                obj.sources, obj.extra = merged.sources, merged.extra
                return Const(None)
        if isinstance(obj, Const) and isinstance(obj.value, str):
            try:
                if name in ('format',) and all(isinstance(a, Const) for a in args):
                    return Const(obj.value.format(*[a.value for a in args], **{k: v.value for k, v in kwargs.items() if isinstance(v, Const)}))
                if name in ('lower', 'upper', 'strip', 'rstrip', 'lstrip', 'replace', 'split', 'rsplit', 'join', 'startswith', 'endswith') and all(isinstance(a, Const) for a in args):
                    if name == 'join':
                        return UNKNOWN
                    r = getattr(obj.value, name)(*[a.value for a in args])
                    return Seq([Const(x) for x in r]) if isinstance(r, list) else Const(r)
            except Exception:  # noqa: BLE001
                return UNKNOWN
        return UNKNOWN

    def external_call(self, dotted: str, args: list, kwargs: dict, e, env, m, owner) -> V:
        tail = dotted.split('.')
        last = tail[-1]
        two = '.'.join(tail[-2:])
        arg = lambda i, k=None: (args[i] if len(args) > i else kwargs.get(k) if k else None)  # noqa: E731
        if dotted.endswith('folder_names_and_paths.get'):
            key = text_of(arg(0) or UNKNOWN)
            return FolderEntry(key) if key is not None else UNKNOWN
        if last in ('deepcopy', 'copy') and tail[0] == 'copy':
            return arg(0) or UNKNOWN
        if last == 'next' and len(args) == 2:
            return args[1]
        if 'folder_paths' in tail[:-1] or dotted.startswith('folder_paths') or last in FOLDER_PATHS_API:
            key = text_of(arg(0, 'folder_name') or UNKNOWN)
            if last == 'filter_files_extensions':
                return arg(0) or UNKNOWN
            if last == 'recursive_search':
                a = arg(0)
                if isinstance(a, FolderDir):
                    return Seq([Files([{'folder': a.key, 'prefix': '', 'dir': None, 'via': 'recursive_search of get_folder_paths', 'at': m.at(e)}]), UNKNOWN], 'tuple')
                if isinstance(a, PathV):
                    return Seq([Files([{'folder': None, 'prefix': '', 'dir': a, 'via': 'recursive_search', 'at': m.at(e)}]), UNKNOWN], 'tuple')
                return UNKNOWN
            if last in ('get_filename_list', 'get_filename_list_'):
                if key is not None:
                    return Files([{'folder': key, 'prefix': '', 'dir': None, 'via': 'get_filename_list', 'at': m.at(e)}])
                return UNKNOWN
            if last == 'get_folder_paths' and key is not None:
                return FolderDirs(key)
            if last in ('get_full_path', 'get_full_path_or_raise'):
                name = arg(1, 'filename')
                if key is not None and isinstance(name, Param):
                    self.full_path_uses.append({'param': name.name, 'folder': key, 'at': m.at(e), 'func': self.recording[-1] if self.recording else None})
                return FullPath(key, name)
            if last == 'add_model_folder_path':
                self.register_folder(arg(0, 'folder_name') or UNKNOWN, arg(1, 'full_folder_path') or UNKNOWN, m, e, 'add_model_folder_path')
                return Const(None)
            if last == 'get_output_directory':
                return PathV('output', ())
            if last == 'get_input_directory':
                return PathV('input', ())
            if last == 'get_temp_directory':
                return PathV('temp', ())
            if last == 'get_user_directory':
                return PathV('user', ())
            return UNKNOWN
        if two in ('path.join',) or dotted.endswith('os.path.join') or dotted.endswith('posixpath.join'):
            return join_values(args)
        if two in ('path.dirname',):
            a = arg(0)
            if isinstance(a, PathV):
                return PathV(a.root, a.parts[:-1])
            return UNKNOWN
        if two in ('path.abspath', 'path.realpath', 'path.normpath', 'path.expanduser', 'path.expandvars') or last in ('str', 'Path', 'PurePath', 'PosixPath', 'fspath'):
            a = arg(0)
            if last in ('Path', 'PurePath', 'PosixPath') and len(args) > 1:
                return join_values(args)
            return a if a is not None else UNKNOWN
        if two == 'path.basename':
            a = arg(0)
            if isinstance(a, FileItem):
                return a
            if isinstance(a, PathV) and a.parts:
                return Const(a.parts[-1])
            if isinstance(a, Const) and isinstance(a.value, str):
                return Const(posixpath.basename(a.value))
            return UNKNOWN
        if last in ('listdir', 'scandir') or two in ('os.walk',):
            a = arg(0)
            if isinstance(a, PathV):
                return Dirs(a)
            if isinstance(a, FolderDir):
                return Files([{'folder': a.key, 'prefix': '', 'dir': None, 'via': 'listdir of get_folder_paths', 'at': m.at(e)}])
            return UNKNOWN
        if two == 'glob.glob' or last == 'glob':
            a = arg(0)
            if isinstance(a, PathV):
                return Dirs(PathV(a.root, tuple(p for p in a.parts if '*' not in p)))
            return UNKNOWN
        if last in ('sorted', 'list', 'tuple', 'set', 'frozenset', 'reversed'):
            a = arg(0)
            if a is None:
                return Seq([])
            if isinstance(a, Dirs):
                return Files([{'folder': None, 'prefix': '', 'dir': a.path, 'via': 'listdir', 'at': m.at(e)}])
            if isinstance(a, Dict) and last in ('list', 'sorted', 'tuple'):
                return Seq(list(a.keys))
            return a
        if last == 'range':
            vals = [x.value for x in args if isinstance(x, Const)]
            if len(vals) == len(args) and all(isinstance(x, int) for x in vals):
                r = range(*vals)
                if len(r) <= MAX_UNROLL:
                    return Seq([Const(i) for i in r])
            return UNKNOWN
        if last == 'enumerate':
            items = iter_items(arg(0) or UNKNOWN)
            if items is not None:
                return Seq([Seq([Const(i), x], 'tuple') for i, x in enumerate(items)])
            return UNKNOWN
        if last == 'zip':
            lists = [iter_items(a) for a in args]
            if all(x is not None for x in lists):
                return Seq([Seq(list(t), 'tuple') for t in zip(*lists)])
            return UNKNOWN
        if last == 'dict':
            d = Dict()
            if args and isinstance(args[0], Dict):
                d = Dict(list(args[0].keys), list(args[0].values))
            for k, v in kwargs.items():
                d.set(Const(k), v)
            return d
        if last == 'filter' and len(args) == 2:
            return args[1] if isinstance(args[1], (Files,)) else UNKNOWN
        if last == 'len':
            a = arg(0)
            if isinstance(a, Seq):
                return Const(len(a.items))
            return UNKNOWN
        if last == 'getattr' and len(args) >= 2 and isinstance(args[1], Const):
            return self.attribute(args[0], args[1].value, e, env, m)
        # V3 node API: io.Combo.Input("name", options=…), io.Schema(node_id=…, inputs=[…])
        if last == 'Input' and len(tail) >= 2:
            return self.v3_input(tail[-2], args, kwargs, e)
        if last == 'Schema':
            return V3Schema(kwargs.get('node_id', arg(0) or UNKNOWN), iter_items(kwargs.get('inputs') or Seq([])) or [], e.lineno)
        self.watch_download_ext(dotted, e, args, kwargs, env, m, owner)
        return UNKNOWN

    def v3_input(self, io_type: str, args, kwargs, e) -> V:
        name = text_of(args[0]) if args else text_of(kwargs.get('id', UNKNOWN))
        if name is None:
            return UNKNOWN
        options = kwargs.get('options') or (args[1] if io_type == 'Combo' and len(args) > 1 else None)
        return V3Input(name, io_type, options, self.truth(kwargs.get('optional', Const(False))) is True,
                       self.truth(kwargs.get('force_input', Const(False))) is True, kwargs.get('control_after_generate'), e.lineno)

    full_path_uses: list = []

    # ---------------- folder registrations

    def register_folder(self, key: V, value: V, m: Module, node, via: str) -> None:
        k = text_of(key)
        if k is None:
            # add_model_folder_path(folder_name, path) inside a helper: recorded where it is called.
            return
        paths: list[V] = []
        exts = None
        if via == 'folder_names_and_paths':
            if isinstance(value, Seq) and value.items:
                first = value.items[0]
                paths = first.items if isinstance(first, Seq) else [first]
                if len(value.items) > 1:
                    exts = value.items[1]
            elif isinstance(value, Seq):
                paths = []
            else:
                paths = [value]
        else:
            paths = value.items if isinstance(value, Seq) else [value]
        for p in paths:
            entry = {'key': k, 'via': via, 'at': m.at(node)}
            if isinstance(p, PathV):
                entry['path'] = p.text()
            elif isinstance(p, (FolderDir, FolderDirs)):
                entry['path'] = f'folder:{p.key}'
            else:
                entry['path'] = None
            if isinstance(exts, Seq):
                entry['extensions'] = sorted(x.value for x in exts.items if isinstance(x, Const) and isinstance(x.value, str))
            self.registrations.append(entry)

    # ---------------- run-time downloads

    def record_download(self, kind: str, e: ast.Call, m: Module, fields: dict) -> None:
        func = self.recording[-1] if self.recording else None
        row = {'call': kind, 'at': m.at(e), 'func': func}
        for k, v in fields.items():
            rendered = render(v) if v is not None else None
            if rendered is not None:
                row[k] = rendered
        key = (row['at'], row['call'], json.dumps({k: row[k] for k in row if k not in ('func',)}, sort_keys=True))
        for d in self.downloads:
            if d['_key'] == key:
                if func is not None and func not in d['_funcs']:
                    d['_funcs'].append(func)
                if self.root is not None and self.root not in d['_roots']:
                    d['_roots'].append(self.root)
                return
        row['_key'] = key
        row['_funcs'] = [func] if func is not None else []
        # The function whose evaluation reached the call: a node's own function sees its inputs.
        row['_roots'] = [self.root] if self.root is not None else []
        self.downloads.append(row)

    root: int | None = None

    def watch_download_ext(self, dotted: str, e, args, kwargs, env, m, owner) -> None:
        last = dotted.split('.')[-1]
        arg = lambda i, k=None: (args[i] if len(args) > i else kwargs.get(k) if k else None)  # noqa: E731
        if last == 'snapshot_download':
            self.record_download('huggingface_hub.snapshot_download', e, m, {
                'repo_id': arg(0, 'repo_id'), 'local_dir': kwargs.get('local_dir'), 'cache_dir': kwargs.get('cache_dir'),
                'allow_patterns': kwargs.get('allow_patterns'), 'revision': kwargs.get('revision')})
        elif last == 'hf_hub_download':
            self.record_download('huggingface_hub.hf_hub_download', e, m, {
                'repo_id': arg(0, 'repo_id'), 'filename': arg(1, 'filename'), 'subfolder': kwargs.get('subfolder'),
                'local_dir': kwargs.get('local_dir'), 'cache_dir': kwargs.get('cache_dir'), 'revision': kwargs.get('revision')})
        elif last in ('download_url_to_file', 'urlretrieve', 'load_file_from_url', 'load_state_dict_from_url', 'download_file', 'download') and (
                last != 'download' or 'wget' in dotted) and (last != 'download_file' or args):
            self.record_download(dotted, e, m, {
                'url': arg(0, 'url'), 'dest': arg(1, 'dst') or kwargs.get('model_dir') or kwargs.get('filename') or kwargs.get('out'),
                'file_name': kwargs.get('file_name')})
        elif last == 'FaceAnalysis':
            self.record_download('insightface.app.FaceAnalysis', e, m, {'name': arg(0, 'name'), 'root': kwargs.get('root')})
        elif last == 'YOLO':
            self.record_download('ultralytics.YOLO', e, m, {'model': arg(0, 'model')})
        elif last == 'from_pretrained':
            self.watch_pretrained(dotted, e, args, kwargs, m)
        elif last in ('get', 'urlopen') and dotted.startswith(('requests', 'urllib')):
            url = arg(0, 'url')
            if isinstance(url, Const) and isinstance(url.value, str) and looks_like_weights(url.value):
                self.record_download(dotted, e, m, {'url': url})

    def watch_download_attr(self, attr: str, e, args, kwargs, env, m, owner) -> None:
        if attr == 'from_pretrained':
            self.watch_pretrained(attr, e, args, kwargs, m)
        elif attr in ('snapshot_download', 'hf_hub_download', 'download_url_to_file', 'load_file_from_url'):
            self.watch_download_ext(attr, e, args, kwargs, env, m, owner)

    def watch_pretrained(self, name: str, e, args, kwargs, m) -> None:
        src = args[0] if args else kwargs.get('pretrained_model_name_or_path')
        if src is None:
            return
        # A local path (a folder under models/) is no download; a repo id or a parameter may be.
        if isinstance(src, PathV) or isinstance(src, Unknown):
            return
        if isinstance(src, Const) and not (isinstance(src.value, str) and src.value.count('/') == 1 and not src.value.startswith(('/', '.'))):
            return
        self.record_download('from_pretrained', e, m, {'source': src, 'cache_dir': kwargs.get('cache_dir'), 'subfolder': kwargs.get('subfolder')})

    def watch_download_like(self, fn: V, e, args, kwargs, env, m, owner) -> None:
        """Pack helpers named like downloaders (custom_hf_download, download_model, …)."""
        node = fn.node
        name = node.name.lower()
        if 'download' not in name or name.startswith('_') and 'hf' not in name:
            return
        fields = {}
        for i, a in enumerate(args[:4]):
            fields[f'arg{i}'] = a
        for k, v in list(kwargs.items())[:6]:
            fields[k] = v
        self.record_download(f'{fn.module.path}:{node.name}', e, m, fields)


class Lazy(V):
    """An imported name from a module still being evaluated (import cycles)."""

    def __init__(self, pack: Pack, module: Module, name: str):
        self.pack, self.module_, self.name_ = pack, module, name

    def resolve(self) -> V:
        v = self.module_.env.get(self.name_, UNKNOWN)
        return v.resolve() if isinstance(v, Lazy) else v


@dataclass(eq=False)
class Method(V):
    obj: V
    name: str


@dataclass(eq=False)
class BoundPath(V):
    path: PathV
    name: str

    def call(self, args: list) -> V:
        if self.name in ('resolve', 'absolute', 'as_posix', 'expanduser', '__str__'):
            return self.path
        if self.name == 'joinpath':
            return join_values([self.path] + args)
        if self.name in ('iterdir', 'glob', 'rglob'):
            if self.path.root.startswith('folder:') and not self.path.parts:
                return Files([{'folder': self.path.root[len('folder:'):], 'prefix': '', 'dir': None, 'via': f'{self.name} of get_folder_paths'}])
            return Dirs(self.path)
        return UNKNOWN


@dataclass(eq=False)
class Dirs(V):
    path: PathV


@dataclass(eq=False)
class FolderDir(V):
    key: str


@dataclass(eq=False)
class FolderEntry(V):
    key: str


@dataclass(eq=False)
class FullPath(V):
    key: str | None
    name: V | None


BUILTINS = {'super', 'next', 'sorted', 'list', 'tuple', 'set', 'dict', 'range', 'enumerate', 'zip', 'len', 'str', 'filter', 'getattr', 'frozenset', 'reversed'}


FOLDER_PATHS_API = {'get_filename_list', 'get_filename_list_', 'get_full_path', 'get_full_path_or_raise', 'get_folder_paths', 'add_model_folder_path'}


@dataclass(eq=False)
class CoreMethod(V):
    name: str
    attr: str


def core_class(dotted: str) -> CoreClass | None:
    parts = dotted.split('.')
    if len(parts) >= 2 and parts[0] in ('nodes', 'comfy_extras') and parts[-1] in CORE_TABLE:
        return CoreClass(parts[-1])
    return None


def core_input_types(name: str) -> V:
    """INPUT_TYPES of a ComfyUI loader as far as the scanner's table knows it: its file inputs at
    their widget positions, other widgets as placeholders, then an unknown rest."""
    inputs = CORE_TABLE.get(name, {})
    required = Dict()
    by_index = {spec.get('widget_index'): (n, spec) for n, spec in inputs.items() if spec.get('widget_index') is not None}
    for i in range(max(by_index) + 1 if by_index else 0):
        if i in by_index:
            n, spec = by_index[i]
            required.set(Const(n), Seq([Files([{'folder': spec['folder'], 'prefix': '', 'dir': None, 'via': f'ComfyUI {name}'}],
                                               list(spec.get('non_file_values', [])))], 'tuple'))
        else:
            required.set(Const(f'__widget_{i}__'), Seq([Const('COMBO')], 'tuple'))
    required.set(Const('__more__'), UNKNOWN)
    return Dict([Const('required')], [required])


CORE_TABLE: dict = {}


def as_files(v: V) -> Files | None:
    """A file list, from Files or from a list/dict that holds walked file items."""
    if isinstance(v, Files):
        return v
    if isinstance(v, FileItem):
        return v.files
    if isinstance(v, Dirs):
        return Files([{'folder': None, 'prefix': '', 'dir': v.path, 'via': 'listdir'}])
    items = v.items if isinstance(v, Seq) else v.keys if isinstance(v, Dict) else None
    if items is None:
        return None
    sources: list = []
    extra: list = []
    for item in items:
        f = as_files(item) if isinstance(item, (Files, FileItem)) else None
        if f is not None:
            sources += [s for s in f.sources if s not in sources]
            extra += f.extra
        elif isinstance(item, Const) and isinstance(item.value, str):
            extra.append(item.value)
    return Files(sources, extra) if sources else None


def prefixed(f: Files, prefix: str) -> Files:
    return Files([dict(s, prefix=prefix + s.get('prefix', '')) for s in f.sources], [])


def merge(a: V | None, b: V | None) -> V:
    if a is None:
        return b if b is not None else UNKNOWN
    if b is None or a is b:
        return a
    if isinstance(a, Unknown):
        return b
    if isinstance(b, Unknown):
        return a
    if isinstance(a, Files) and isinstance(b, Files):
        return Files(a.sources + [s for s in b.sources if s not in a.sources], a.extra + [x for x in b.extra if x not in a.extra])
    if isinstance(a, Files):
        return a
    if isinstance(b, Files):
        return b
    # folder_paths.get_folder_paths(k) beside a hand-made fallback list: the folder key says more.
    if isinstance(b, FolderDirs) and not isinstance(a, FolderDirs):
        return b
    if isinstance(a, Dict) and isinstance(b, Dict):
        return a if len(a.keys) >= len(b.keys) else b
    return a


def richest(values: list) -> V | None:
    best = None
    for v in values:
        if best is None or score(v) > score(best):
            best = v
    return best


def score(v: V) -> int:
    if isinstance(v, Dict):
        return 10 + sum(len(x.keys) if isinstance(x, Dict) else 1 for x in v.values)
    if isinstance(v, (Files, V3Schema)):
        return 5
    if isinstance(v, Unknown):
        return 0
    return 1


def iter_items(v: V) -> list | None:
    if isinstance(v, Seq):
        return list(v.items)
    if isinstance(v, Dict):
        return list(v.keys)
    if isinstance(v, Files):
        return [FileItem(v)]
    if isinstance(v, Dirs):
        return [FileItem(Files([{'folder': None, 'prefix': '', 'dir': v.path, 'via': 'listdir'}]))]
    if isinstance(v, FolderDirs):
        return [FolderDir(v.key)]
    if isinstance(v, Const) and isinstance(v.value, (str, bytes)) and len(v.value) < 64:
        return None
    return None


def join_values(args: list) -> V:
    if not args:
        return UNKNOWN
    if isinstance(args[-1], FileItem):
        return args[-1]
    first = args[0]
    if isinstance(first, PathV):
        return path_join(first, args[1:])
    if isinstance(first, FolderDir):
        return path_join(PathV(f'folder:{first.key}', ()), args[1:])
    if all(isinstance(a, Const) and isinstance(a.value, str) for a in args):
        return Const(posixpath.join(*[a.value for a in args]))
    # An absolute part later resets the join, as os.path.join does.
    for i in range(len(args) - 1, 0, -1):
        if isinstance(args[i], PathV):
            return path_join(args[i], args[i + 1:])
    return UNKNOWN


def path_join(base: PathV, parts: list) -> V:
    out = list(base.parts)
    for p in parts:
        if isinstance(p, Const) and isinstance(p.value, str):
            for seg in p.value.replace('\\', '/').split('/'):
                if seg in ('', '.'):
                    continue
                if seg == '..':
                    if out:
                        out.pop()
                    continue
                out.append(seg)
        elif isinstance(p, PathV):
            return path_join(p, parts[parts.index(p) + 1:])
        elif isinstance(p, Param):
            out.append('{' + p.name + '}')
        elif isinstance(p, Sym):
            out.append('{' + p.text + '}')
        else:
            out.append('{?}')
    return PathV(base.root, tuple(out))


def mentions_param(e: ast.AST, env: dict) -> bool:
    for n in ast.walk(e):
        if isinstance(n, ast.Name) and isinstance(env.get(n.id), Param):
            return True
    return False


def looks_like_weights(url: str) -> bool:
    return any(url.lower().split('?')[0].endswith(x) for x in ('.pth', '.pt', '.safetensors', '.bin', '.onnx', '.ckpt', '.zip', '.pkl', '.tar'))


def render(v: V) -> Any:
    if isinstance(v, Const):
        return v.value if isinstance(v.value, (str, int, float, bool)) or v.value is None else repr(v.value)
    if isinstance(v, PathV):
        return {'path': v.text()}
    if isinstance(v, Param):
        return {'input': v.name}
    if isinstance(v, Sym):
        return {'expr': v.text}
    if isinstance(v, Seq):
        return [render(x) for x in v.items[:32]]
    if isinstance(v, FolderDir):
        return {'path': f'folder:{v.key}'}
    if isinstance(v, Files):
        return {'files': [s.get('folder') or (s['dir'].text() if s.get('dir') else None) for s in v.sources]}
    return None


# ---------------------------------------------------------------- node classes

WIDGET_TYPES = {'INT', 'FLOAT', 'STRING', 'BOOLEAN', 'COMBO'}
V3_WIDGETS = {'Int', 'Float', 'String', 'Boolean', 'Combo', 'MultiCombo'}


def input_spec(pack: Pack, name: str, spec: V, section: str) -> dict:
    row: dict[str, Any] = {'name': name, 'section': section}
    type_v = spec.items[0] if isinstance(spec, Seq) and spec.items else spec
    opts = spec.items[1] if isinstance(spec, Seq) and len(spec.items) > 1 else None
    if isinstance(type_v, Const) and type_v.value == 'COMBO' and isinstance(opts, Dict) and opts.get('options') is not None:
        type_v = opts.get('options')
    if isinstance(type_v, Ext) and ('.IO.' in type_v.dotted or type_v.dotted.startswith('IO.')):
        type_v = Const(type_v.dotted.rsplit('.', 1)[1])   # comfy_types.IO.MODEL is the string 'MODEL'
    force = isinstance(opts, Dict) and pack.truth(opts.get('forceInput') or Const(False)) is True
    files = as_files(type_v) if isinstance(type_v, (Files, Dirs, Seq, Dict, FileItem)) else None
    if files is not None and files.sources:
        row['kind'] = 'widget'
        row['files'] = files_row(files)
    elif isinstance(type_v, Ext):
        # An outside constant as the type: in practice ComfyUI's own lists
        # (comfy.samplers.KSampler.SAMPLERS, SCHEDULERS): a combo widget.
        row['kind'] = 'widget'
        row['assumed'] = f'{type_v.dotted} taken for a combo list'
    elif isinstance(type_v, Instance):
        row['kind'] = 'socket'       # AnyType('*') and other custom type objects
    elif isinstance(type_v, Seq):
        row['kind'] = 'widget'
        consts = [x.value for x in type_v.items if isinstance(x, Const) and isinstance(x.value, (str, int, float))]
        if len(consts) == len(type_v.items):
            row['options'] = [str(c) for c in consts[:64]]
            if len(consts) > 64:
                row['options_truncated'] = len(consts)
        else:
            row['options_unknown'] = True
    elif isinstance(type_v, Const) and isinstance(type_v.value, str):
        t = type_v.value
        row['type'] = t
        row['kind'] = 'widget' if t in WIDGET_TYPES else 'socket'
    else:
        row['kind'] = 'unknown'
    if force and row['kind'] == 'widget':
        row['kind'] = 'socket'
        row['force_input'] = True
    if isinstance(opts, Dict):
        ctrl = opts.get('control_after_generate')
        if ctrl is not None:
            row['control_after_generate'] = pack.truth(ctrl) is True
        if pack.truth(opts.get('image_upload') or Const(False)) is True:
            row['image_upload'] = True
        if pack.truth(opts.get('defaultInput') or Const(False)) is True:
            row['default_input'] = True
    return row


def files_row(f: Files) -> dict:
    sources = []
    for s in f.sources:
        out = {'via': s.get('via', 'get_filename_list')}
        if s.get('folder'):
            out['folder'] = s['folder']
        if s.get('dir') is not None:
            out['dir'] = s['dir'].text()
        if s.get('prefix'):
            out['prefix'] = s['prefix']
        if s.get('at'):
            out['at'] = s['at']
        if s.get('transformed'):
            out['transformed'] = s['transformed']
        if out not in sources:
            sources.append(out)
    row = {'sources': sources}
    extra = [x for x in dict.fromkeys(str(e) for e in f.extra)]
    if extra:
        row['non_file_values'] = extra
    return row


def v3_row(pack: Pack, inp: V3Input) -> dict:
    row: dict[str, Any] = {'name': inp.name, 'section': 'optional' if inp.optional else 'required', 'line': inp.line}
    if inp.io_type in V3_WIDGETS and not inp.force_input:
        row['kind'] = 'widget'
        row['type'] = inp.io_type.upper()
        if isinstance(inp.options, Files):
            row['files'] = files_row(inp.options)
        elif isinstance(inp.options, Seq):
            consts = [x.value for x in inp.options.items if isinstance(x, Const)]
            if len(consts) == len(inp.options.items):
                row['options'] = [str(c) for c in consts[:64]]
    else:
        row['kind'] = 'socket'
        if inp.force_input:
            row['force_input'] = True
    if inp.control is not None:
        row['control_after_generate'] = pack.truth(inp.control) is True
    return row


def derive(files: dict[str, str]) -> dict:
    pack = Pack(files)
    pack.full_path_uses = []
    pack.pending_returns = []
    for m in list(pack.modules.values()):
        pack.run_module(m)

    # NODE_CLASS_MAPPINGS of every module (some packs load node files dynamically).
    mapping: dict[str, tuple] = {}
    for m in pack.modules.values():
        for var in ('NODE_CLASS_MAPPINGS', 'NODE_CLASS_MAPPINGS_V2', 'NODE_CLASS_MAPPINGS_V3'):
            d = m.env.get(var)
            if isinstance(d, Lazy):
                d = d.resolve()
            if isinstance(d, Dict):
                for k, v in zip(d.keys, d.values):
                    if isinstance(v, Lazy):
                        v = v.resolve()
                    name = text_of(k)
                    if name is not None and isinstance(v, ClassRef):
                        mapping.setdefault(name, (v, m.path))
                    elif name is not None:
                        mapping.setdefault(name, (None, m.path))

    classes: list[ClassRef] = []
    seen_cls: set[int] = set()
    for m in pack.modules.values():
        for v in list(m.env.values()):
            if isinstance(v, ClassRef) and id(v.node) not in seen_cls and v.module is m:
                seen_cls.add(id(v.node))
                classes.append(v)

    nodes: list[dict] = []
    typed: set[int] = set()
    unmapped: list[str] = []

    def node_row(type_name: str, cls: ClassRef, mapped_in: str | None) -> dict | None:
        it = pack.class_attr(cls, 'INPUT_TYPES')
        schema_fn = pack.class_attr(cls, 'define_schema')
        row: dict[str, Any] = {'type': type_name, 'class': cls.node.name, 'at': cls.module.at(cls.node)}
        if mapped_in:
            row['mapped_in'] = mapped_in
        inputs: list[dict] | None = None
        if isinstance(schema_fn, FuncRef):
            schema = safe_invoke(pack, FuncRef(schema_fn.node, schema_fn.module, cls, None, schema_fn.closure))
            if isinstance(schema, V3Schema):
                row['api'] = 'v3'
                ordered = [i for i in schema.inputs if isinstance(i, V3Input)]
                req = [v3_row(pack, i) for i in ordered if not i.optional]
                opt = [v3_row(pack, i) for i in ordered if i.optional]
                inputs = req + opt
                if len(ordered) != len(schema.inputs):
                    row['inputs_incomplete'] = True
        if inputs is None and isinstance(it, FuncRef):
            result = safe_invoke(pack, FuncRef(it.node, it.module, cls, None, it.closure))
            row['api'] = 'v1'
            inputs = []
            if isinstance(result, Dict):
                for section in ('required', 'optional'):
                    sec = result.get(section)
                    if isinstance(sec, Dict):
                        for k, v in zip(sec.keys, sec.values):
                            n = text_of(k)
                            if n is None:
                                row['inputs_incomplete'] = True
                                continue
                            inputs.append(input_spec(pack, n, v, section))
                    elif sec is not None and not (isinstance(sec, Const) and sec.value is None):
                        row['inputs_incomplete'] = True
            else:
                row['inputs_incomplete'] = True
            row['input_types_at'] = it.module.at(it.node)
        if inputs is None:
            return None
        row['inputs'] = inputs
        fn_name = pack.class_attr(cls, 'FUNCTION')
        if isinstance(fn_name, Const) and isinstance(fn_name.value, str):
            row['function'] = fn_name.value
        return row

    for type_name, (cls, where) in sorted(mapping.items()):
        if cls is None:
            unmapped.append(type_name)
            continue
        r = node_row(type_name, cls, where)
        if r is not None:
            typed.add(id(cls.node))
            nodes.append(r)
    # V3 nodes and classes with INPUT_TYPES that no mapping names (dynamic registration):
    # reported under their schema id or class name, flagged, for the merge to confirm.
    for cls in classes:
        if id(cls.node) in typed:
            continue
        body_names = {getattr(s, 'name', None) for s in cls.node.body}
        if 'define_schema' in body_names:
            schema = safe_invoke(pack, FuncRef(pack.class_attr(cls, 'define_schema').node, cls.module, cls)) if isinstance(pack.class_attr(cls, 'define_schema'), FuncRef) else None
            node_id = text_of(schema.node_id) if isinstance(schema, V3Schema) else None
            if node_id:
                r = node_row(node_id, cls, None)
                if r:
                    r['registered_by'] = 'v3 schema node_id'
                    nodes.append(r)
                    typed.add(id(cls.node))
        elif 'INPUT_TYPES' in body_names:
            r = node_row(cls.node.name, cls, None)
            if r and any('files' in i for i in r['inputs']):
                r['registered_by'] = 'class name (no NODE_CLASS_MAPPINGS entry resolved)'
                r['unconfirmed'] = True
                nodes.append(r)

    # Inputs whose value the node's function passes to folder_paths.get_full_path(folder, value).
    run_functions(pack, nodes, mapping, classes)
    by_func: dict[int, list] = {}
    for use in pack.full_path_uses:
        if use['func'] is not None:
            by_func.setdefault(use['func'], []).append(use)
    for r in nodes:
        fid = r.get('_function_id')
        for use in by_func.get(fid, []):
            for inp in r['inputs']:
                if inp['name'] == use['param'] and 'files' not in inp:
                    inp['files'] = {'sources': [{'folder': use['folder'], 'via': 'get_full_path', 'at': use['at']}]}
                    if 'options' in inp:
                        inp['files']['non_file_values'] = [o for o in inp['options'] if o.lower() in ('none', '')]

    downloads = link_downloads(pack, nodes)
    for r in nodes:
        r.pop('_function_id', None)
        r.pop('_class_id', None)

    folders = []
    seen = set()
    for reg in pack.registrations:
        key = (reg['key'], reg['path'], reg['via'])
        if key in seen:
            continue
        seen.add(key)
        folders.append(reg)
    return {
        'nodes': sorted(nodes, key=lambda r: r['type']),
        'unresolved_mappings': sorted(unmapped),
        'folders': folders,
        'downloads': downloads,
        'problems': pack.problems,
        'modules': len(pack.modules),
    }


def safe_invoke(pack: Pack, fn: FuncRef, args=None) -> V:
    pack.depth = 0
    pack.limit = pack.steps + STEP_BUDGET
    try:
        return pack.invoke(fn, args or [], {})
    except (Budget, RecursionError):
        return UNKNOWN
    finally:
        pack.limit = 0


def run_functions(pack: Pack, nodes: list, mapping: dict, classes: list) -> None:
    """Evaluate every function of the pack once (parameters unknown), recording calls,
    get_full_path uses and download calls; then tie each node to its FUNCTION method."""
    by_class = {}
    for r in nodes:
        cls = next((c for c in classes if c.node.name == r['class'] and c.module.at(c.node) == r['at']), None)
        if cls is None:
            continue
        by_class[id(r)] = cls
        fn_name = r.get('function')
        if fn_name:
            f = pack.class_attr(cls, fn_name)
            if isinstance(f, FuncRef):
                r['_function_id'] = id(f.node)
        r['_class_id'] = id(cls.node)
    for m in pack.modules.values():
        for node in ast.walk(m.tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and id(node) not in pack.ran:
                pack.ran.add(id(node))
                owner = owner_class(pack, m, node)
                inst = Instance(owner) if owner else None
                pack.root = id(node)
                safe_invoke(pack, FuncRef(node, m, owner, inst))
                pack.root = None


def owner_class(pack: Pack, m: Module, fn: ast.AST) -> ClassRef | None:
    for v in m.env.values():
        if isinstance(v, ClassRef) and v.module is m and fn in v.node.body:
            return v
    return None


def link_downloads(pack: Pack, nodes: list) -> list:
    # Which functions each node's FUNCTION (and __init__) reaches, through resolved calls and,
    # for calls on unknown objects, through pack functions of that name.
    by_name: dict[str, list] = {}
    for fid, (mod, node, owner) in pack.func_meta.items():
        if not isinstance(node, ast.Lambda):
            by_name.setdefault(node.name, []).append(fid)
    reach_of: dict[int, set] = {}

    def reach(start: int) -> set:
        if start in reach_of:
            return reach_of[start]
        seen = {start}
        stack = [start]
        while stack:
            f = stack.pop()
            nxt = set(pack.calls.get(f, ()))
            for name in pack.call_names.get(f, ()):
                cands = by_name.get(name, [])
                if 0 < len(cands) <= 2:
                    nxt.update(cands)
            for g in nxt:
                if g not in seen:
                    seen.add(g)
                    stack.append(g)
        reach_of[start] = seen
        return seen

    # One call site may be recorded several times, with the values of each caller; a node gets
    # the record its own function produced (its inputs by name) when there is one.
    by_site: dict[tuple, list] = {}
    for d in pack.downloads:
        d['nodes'] = []
        by_site.setdefault((d['at'], d['call']), []).append(d)
    for r in nodes:
        start = r.get('_function_id')
        if not start:
            continue
        reached = reach(start)
        for records in by_site.values():
            hits = [d for d in records if any(f in reached for f in d['_funcs'])]
            own = [d for d in hits if start in d['_roots']]
            for d in own or hits:
                d['nodes'].append(r['type'])
    out = []
    for d in pack.downloads:
        for k in ('_funcs', '_key', '_roots', 'func'):
            d.pop(k, None)
        d['nodes'] = sorted(set(d['nodes']))
        out.append(d)
    return sorted(out, key=lambda d: (d['at'], json.dumps(d, sort_keys=True)))


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--git-dir')
    ap.add_argument('--commit')
    ap.add_argument('--dir')
    ap.add_argument('--pack', required=True)
    ap.add_argument('--core-table', default=os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'src', 'scan', 'loader-nodes.json'),
                    help="the scanner's table, whose `core` rows describe ComfyUI's own loaders (default: src/scan/loader-nodes.json)")
    a = ap.parse_args(argv)
    with open(a.core_table, encoding='utf-8') as fh:
        CORE_TABLE.update({k: v['inputs'] for k, v in json.load(fh)['core'].items()})
    if bool(a.git_dir) == bool(a.dir):
        ap.error('give one of --git-dir or --dir')
    sys.setrecursionlimit(10000)
    src = Source(a.git_dir, a.commit, a.dir)
    result = derive(src.python_files())
    result = {'pack': a.pack, 'commit': src.commit, **result}
    sys.stdout.write(dump(result))
    return 0


def dump(result: dict) -> str:
    """JSON with one line per node, folder and download: small, and a diff shows what changed."""
    parts = []
    for key in sorted(result):
        value = result[key]
        if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            rows = ',\n'.join('  ' + json.dumps(v, sort_keys=True, ensure_ascii=False) for v in value)
            parts.append(f' {json.dumps(key)}: [\n{rows}\n ]')
        else:
            parts.append(f' {json.dumps(key)}: {json.dumps(value, sort_keys=True, ensure_ascii=False)}')
    return '{\n' + ',\n'.join(parts) + '\n}\n'


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
