/**
 * huggingface_hub's `allow_patterns` / `ignore_patterns` (utils/_paths.py `filter_repo_objects`):
 * Python's `fnmatch` on the path in the repository, case-sensitive as on POSIX, where `*` also
 * crosses `/`; a pattern ending in `/` means everything below that folder.
 */

/** Python's fnmatch.translate, for the subset patterns use: `*`, `?`, `[seq]`, `[!seq]`. */
export function fnmatchRegExp(pattern: string): RegExp {
  const full = pattern.endsWith('/') ? `${pattern}*` : pattern;
  let out = '';
  for (let i = 0; i < full.length; i++) {
    const c = full[i]!;
    if (c === '*') out += '.*';
    else if (c === '?') out += '.';
    else if (c === '[') {
      const close = full.indexOf(']', i + 2);
      if (close < 0) {
        out += '\\[';
        continue;
      }
      let set = full.slice(i + 1, close);
      if (set.startsWith('!')) set = `^${set.slice(1)}`;
      out += `[${set.replace(/\\/g, '\\\\')}]`;
      i = close;
    } else out += c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  return new RegExp(`^${out}$`, 's');
}

/** True when a path passes the allow list (if any) and no ignore pattern. */
export function passesPatterns(path: string, allow: readonly string[] | undefined, ignore: readonly string[] | undefined): boolean {
  if (allow && !allow.some((p) => fnmatchRegExp(p).test(path))) return false;
  return !(ignore ?? []).some((p) => fnmatchRegExp(p).test(path));
}
