/**
 * Shell quoting for generated scripts. Every string that reaches a script from a workflow, a
 * config or an API goes through `shQuote`, so no name or URL can run a command.
 */

/**
 * Quote for bash as one word: single quotes, with embedded `'` written as `'\''`.
 * Inside single quotes nothing is special (no `$`, backtick, `\`, newline handling), so this is
 * safe for every byte sequence except NUL, which cannot occur in a bash word at all.
 */
export function shQuote(value: string): string {
  if (value.includes('\0')) throw new Error('shell words cannot contain NUL bytes');
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** A value for a `# …` comment line: newlines and control characters made visible. */
export function shComment(value: string): string {
  return value.replace(/[\x00-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** `name='value'`: one shell word whose fixed prefix stays readable. */
export function shField(name: string, value: string): string {
  if (!/^[a-z][a-z0-9_]*$/.test(name)) throw new Error(`not a field name: ${name}`);
  return `${name}=${shQuote(value)}`;
}
