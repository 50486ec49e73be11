/**
 * Lists that can run to thousands (workflows using a model, versions of a pack) shortened for
 * one line of a report or a diagnostic: a 10,000-workflow collection must not print a page.
 */

/** The first `shown` names, then how many more: `a, b, c and 297 more workflows`. */
export function someNames(names: readonly string[], noun: string, shown = 3, format: (name: string) => string = (n) => n): string {
  const listed = names.slice(0, shown).map(format).join(', ');
  const rest = names.length - shown;
  return rest > 0 ? `${listed} and ${rest} more ${noun}${rest === 1 ? '' : 's'}` : listed;
}

/**
 * The first `head` and last `tail` items, with how many were left out between, for ordered lists
 * whose ends matter (versions come oldest first, so the newest, which is pinned, stays named).
 */
export function ends(items: readonly string[], head: number, tail: number, sep = ', '): string {
  if (items.length <= head + tail + 1) return items.join(sep);
  return [...items.slice(0, head), `… ${items.length - head - tail} more …`, ...items.slice(items.length - tail)].join(sep);
}
