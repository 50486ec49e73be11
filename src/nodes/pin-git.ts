/**
 * Pins that come from a git repository: recorded commits (verified by fetching them; the newest
 * wins when a workflow set records several), a release tag, or the default branch's tip.
 */
import { gitFetchUrl } from './endpoints.js';
import { unresolved, type Outcome, type ResolveContext } from './context.js';

export async function gitCommitPin(ctx: ResolveContext, key: string, repo: string, commits: string[]): Promise<Outcome> {
  const url = gitFetchUrl(repo, ctx.opts.githubEndpoint);
  const found: { ver: string; commit: string; time: number }[] = [];
  const problems: string[] = [];
  let transient = false;
  for (const ver of commits) {
    const answer = await ctx.git.commit(repo, url, ver);
    if (answer.kind === 'found') found.push({ ver, ...answer.value });
    else problems.push(answer.kind === 'missing' ? `${ver}: ${answer.reason}` : `${ver}: ${answer.message}`);
    transient ||= answer.kind === 'error';
  }
  if (found.length === 0) return unresolved(`${repo}: ${problems.join('; ')}`, transient);
  if (problems.length > 0) {
    ctx.report({ code: 'pack-commit-missing', severity: 'warning', message: `${key}: ${repo}: ${problems.join('; ')}` });
  }
  // Newest by commit time; the commit id breaks ties so the choice never depends on order.
  found.sort((a, b) => b.time - a.time || (a.commit < b.commit ? -1 : 1));
  const best = found[0]!;
  return { locked: { type: 'git', repo, commit: best.commit }, ver: best.ver };
}

export async function gitTagPin(ctx: ResolveContext, key: string, repo: string, version: string): Promise<Outcome> {
  const tag = await ctx.git.tagCommit(gitFetchUrl(repo, ctx.opts.githubEndpoint), version);
  if (tag.kind === 'error') return unresolved(`${repo}: ${tag.message}`, true);
  if (tag.kind === 'missing') return unresolved(`${repo}: ${tag.reason}; pin a commit in nodes.pins`);
  return gitCommitPin(ctx, key, repo, [tag.value]).then((o) => ('locked' in o ? { locked: o.locked, ver: version } : o));
}

export async function gitHeadPin(ctx: ResolveContext, repo: string): Promise<Outcome> {
  const head = await ctx.git.defaultHead(gitFetchUrl(repo, ctx.opts.githubEndpoint));
  if (head.kind === 'error') return unresolved(`${repo}: ${head.message}`, true);
  if (head.kind === 'missing') return unresolved(`${repo}: ${head.reason}`);
  return { locked: { type: 'git', repo, commit: head.value } };
}
