/**
 * Python's `posixpath` semantics, which ComfyUI applies to extra_model_paths.yaml (and which
 * comfygen reuses for `models.roots`, so `~` and `$VAR` mean the same thing in both places).
 * Node's `path` differs in small ways that matter here: it keeps trailing slashes, drops a
 * leading `//`, and has no expanduser / expandvars.
 */

/** `os.path.isabs`. */
export function pyIsAbs(path: string): boolean {
  return path.startsWith('/');
}

/** `os.path.join(a, b)`: an absolute `b` replaces `a`. */
export function pyJoin(a: string, b: string): string {
  if (pyIsAbs(b)) return b;
  if (a === '' || a.endsWith('/')) return a + b;
  return `${a}/${b}`;
}

/** `os.path.normpath`: collapses `//`, `.` and `x/..`, strips trailing `/`; keeps exactly `//`. */
export function pyNormpath(path: string): string {
  if (path === '') return '.';
  const lead = path.startsWith('//') && !path.startsWith('///') ? '//' : path.startsWith('/') ? '/' : '';
  const parts: string[] = [];
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue;
    const last = parts[parts.length - 1];
    if (part !== '..' || (lead === '' && (last === undefined || last === '..'))) parts.push(part);
    else if (last !== undefined) parts.pop();
  }
  return lead + parts.join('/') || '.';
}

/** `os.path.abspath` against an explicit working directory (ComfyUI passes the yaml's dir). */
export function pyAbspath(path: string, cwd: string): string {
  return pyNormpath(pyIsAbs(path) ? path : pyJoin(cwd, path));
}

/**
 * `os.path.expanduser` for `~` and `~/…` ($HOME first, like Python). `~user` forms are left
 * unchanged: resolving other users' homes needs the passwd database, which Node does not expose.
 */
export function pyExpanduser(path: string, home: string): string {
  if (path !== '~' && !path.startsWith('~/')) return path;
  return home.replace(/\/+$/, '') + path.slice(1) || '/';
}

/**
 * `os.path.expandvars` (POSIX): `$name` / `${name}` with ASCII word names; unknown variables
 * stay as written. `missing` collects the names that were not set, so callers can warn.
 */
export function pyExpandvars(path: string, env: NodeJS.ProcessEnv, missing?: Set<string>): string {
  if (!path.includes('$')) return path;
  return path.replace(/\$([A-Za-z0-9_]+|\{[^}]*\})/g, (whole, raw: string) => {
    const name = raw.startsWith('{') && raw.endsWith('}') ? raw.slice(1, -1) : raw;
    const value = env[name];
    if (value === undefined) {
      missing?.add(name);
      return whole;
    }
    return value;
  });
}
