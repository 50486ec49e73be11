/** A URL parsed only when it is on one of a service's hosts (public ones, or mirror `extraHosts`). */
export function parseHostUrl(url: string, hosts: readonly string[], extraHosts: readonly string[] = []): URL | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return null;
  }
  return hosts.includes(parsed.host) || extraHosts.includes(parsed.host) ? parsed : null;
}
