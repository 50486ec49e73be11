/**
 * Bytes as a short binary-unit size: one truncated decimal. download.sh's bash `human` function
 * uses the same rule, so report.md, the script's header and its run-time lines agree.
 */
export function humanSize(bytes: number): string {
  const units: [number, string][] = [[2 ** 30, 'GiB'], [2 ** 20, 'MiB'], [2 ** 10, 'KiB']];
  for (const [div, unit] of units) {
    if (bytes >= div) return `${Math.floor(bytes / div)}.${Math.floor(((bytes % div) * 10) / div)} ${unit}`;
  }
  return `${bytes} B`;
}
