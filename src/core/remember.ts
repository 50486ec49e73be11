/**
 * A pure one-argument function with its answers kept per distinct string: workflows repeat the
 * same URLs, pack ids and versions thousands of times. Bounded, so a long-lived worker fed
 * endless distinct values never grows without limit (the table is simply started afresh).
 */
export function remember<T>(fn: (key: string) => T, limit = 10_000): (key: string) => T {
  const known = new Map<string, T>();
  return (key) => {
    if (known.has(key)) return known.get(key) as T;
    if (known.size >= limit) known.clear();
    const value = fn(key);
    known.set(key, value);
    return value;
  };
}
