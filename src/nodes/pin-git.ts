/**
 * Pins that come from a git repository: recorded commits (verified by fetching them; the newest
 * wins when a workflow set records several), a release tag, or the default branch's tip.
 */
import { gitFetchUrl } from './endpoints.js';
import { failedWith, unresolved, type Outcome, type PackFailure, type ResolveContext } from './context.js';

export async function gitCommitPin(ctx: ResolveContext, key: string, repo: string, commits: string[]): Promise<Outcome> {
  const url = gitFetchUrl(repo, ctx.opts.githubEndpoint);
  const found: { ver: string; commit: string; time: number }[] = [];
  const problems: string[] = [];
  let failure: PackFailure | null = null;
  for (const ver of commits) {
    const answer = await ctx.git.commit(repo, url, ver);
    if (answer.kind === 'found') found.push({ ver, ...answer.value });
    else if (answer.kind === 'missing') problems.push(`${ver}: ${answer.reason}`);
    else failure ??= answer;
  }
  // A host that failed says nothing about the commits it did not answer for: the pack is not pinned
  // on a partial answer (it could pick an older commit than the newest recorded one).
  if (failure) return failedWith(failure);
  if (found.length === 0) return unresolved(`${repo}: ${problems.join('; ')}`);
  if (problems.length > 0) {
    ctx.report({ code: 'pack-commit-missing', severity: 'warning', message: `${key}: ${repo}: ${problems.join('; ')}` });
  }
  // Newest by commit time; the commit id breaks ties so the choice never depends on order.
  found.sort((a, b) => b.time - a.time || (a.commit < b.commit ? -1 : 1));
  const best = found[0]!;
  return { locked: { type: 'git', repo, commit: best.commit }, ver: best.ver };
}

export async function gitTagPin(ctx: ResolveContext, key: string, repo: string, version: string): Promise<Outcome> {
  const tag = await ctx.git.tagCommit(repo, gitFetchUrl(repo, ctx.opts.githubEndpoint), version);
  if (tag.kind === 'error') return failedWith(tag);
  if (tag.kind === 'missing') return unresolved(`${repo}: ${tag.reason}; pin a commit in nodes.pins`);
  return gitCommitPin(ctx, key, repo, [tag.value]).then((o) => ('locked' in o ? { locked: o.locked, ver: version } : o));
}

export async function gitHeadPin(ctx: ResolveContext, repo: string): Promise<Outcome> {
  const head = await ctx.git.defaultHead(repo, gitFetchUrl(repo, ctx.opts.githubEndpoint));
  if (head.kind === 'error') return failedWith(head);
  if (head.kind === 'missing') return unresolved(`${repo}: ${head.reason}`);
  return { locked: { type: 'git', repo, commit: head.value } };
}
