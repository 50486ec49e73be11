/**
 * A config module made runnable from another file (its entry in `.comfygen/config/`) as if it
 * ran from its own: what Node would resolve against the module's URL is written out in full.
 *
 * - relative specifiers (`./x.js`, `../y.json`) of static imports, re-exports and string-literal
 *   `import()` become absolute `file:` URLs of the config's folder;
 * - `comfygen` becomes this comfygen's own entry point, so `import { defineConfig } from
 *   'comfygen'` works where comfygen runs through npx or a global install and is not in the
 *   project's node_modules;
 * - `import.meta` becomes an object whose `url`, `filename` and `dirname` are the config's, and
 *   whose `resolve` resolves relative specifiers against it, as does a computed `import(x)`.
 *
 * Bare package names need nothing: the cache folder lies inside the config's folder, so Node
 * looks them up through the same node_modules folders. Import attributes (`with { type: 'json' }`)
 * and everything else stay as written. The module is lexed (es-module-lexer), not parsed by hand:
 * strings, comments and template literals that merely look like imports are left alone.
 */
import { init, parse } from 'es-module-lexer';
import { dirname } from 'node:path';
import { pathToFileURL } from 'node:url';

/** Appended as a hoisted function, so line numbers of the config stay as they were. */
const META = '__comfygen_import_meta';

const isRelative = (specifier: string) => /^\.\.?(\/|$)/.test(specifier);

export async function relocateModule(code: string, configPath: string, selfUrl: string): Promise<string> {
  await init;
  const url = pathToFileURL(configPath).href;
  const [imports] = parse(code, configPath);
  const edits: { start: number; end: number; text: string }[] = [];
  let needsMeta = false;
  for (const i of imports) {
    if (i.type === 'import-meta') {
      edits.push({ start: i.start, end: i.end, text: `${META}()` });
      needsMeta = true;
    } else if (i.type === 'dynamic' && (i.specifier === undefined || i.glob)) {
      // A computed specifier is only known when it runs: resolve it then, against the config.
      edits.push({ start: i.start, end: i.end, text: `${META}().relocate(${code.slice(i.start, i.end)})` });
      needsMeta = true;
    } else {
      const to = i.specifier === 'comfygen' ? selfUrl : isRelative(i.specifier!) ? new URL(i.specifier!, url).href : null;
      if (to === null) continue;
      // A static specifier is reported without its quotes, a dynamic one with them.
      const quoted = i.type === 'dynamic' ? 0 : 1;
      edits.push({ start: i.start - quoted, end: i.end + quoted, text: JSON.stringify(to) });
    }
  }
  let out = code;
  for (const e of edits.sort((a, b) => b.start - a.start)) out = out.slice(0, e.start) + e.text + out.slice(e.end);
  if (!needsMeta) return out;
  const meta = {
    url,
    filename: configPath,
    dirname: dirname(configPath),
  };
  return `${out}${out.endsWith('\n') ? '' : '\n'}function ${META}() {
  const relocate = (s) => (/^\\.\\.?(\\/|$)/.test(String(s)) ? new URL(String(s), ${JSON.stringify(url)}).href : String(s));
  return (${META}.value ??= { ...${JSON.stringify(meta)}, relocate, resolve: (s) => import.meta.resolve(relocate(s)) });
}
`;
}
