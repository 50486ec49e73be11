/**
 * Lock-time git work. `git ls-remote` only lists ref tips, so a recorded commit is verified by
 * fetching exactly that commit (depth 1) into a bare repository under the cache; that also tells
 * its commit time, which is how the newest of several recorded commits is chosen. The install
 * script verifies again (`rev-parse HEAD`), so the lock never holds a commit nobody fetched.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { unavailableHost, type PackFailure } from './context.js';
import { GITHUB_VARIABLE } from './endpoints.js';
import { isFullCommit } from './ids.js';

export type GitAnswer<T> = { kind: 'found'; value: T } | { kind: 'missing'; reason: string } | ({ kind: 'error' } & PackFailure);

/**
 * Every call names the repository twice: `canonical` (what the lock and its messages say) and
 * `url` (where this machine fetches it: `GITHUB_ENDPOINT` applied).
 */
export interface GitStore {
  /** The commit the default branch points at. */
  defaultHead(canonical: string, url: string): Promise<GitAnswer<string>>;
  /** The commit of tag `<version>` or `v<version>`, peeled. */
  tagCommit(canonical: string, url: string, version: string): Promise<GitAnswer<string>>;
  /** The commit a tag (peeled) or else a branch named `ref` points at. */
  refCommit(canonical: string, url: string, ref: string): Promise<GitAnswer<string>>;
  /** Fetch a full commit, or expand a 4–39 hex prefix, and say when it was committed. */
  commit(canonical: string, url: string, commit: string): Promise<GitAnswer<{ commit: string; time: number }>>;
  /**
   * A file of a full commit (null when the commit has no such file). The commit is fetched into
   * the cache when absent, unless `url` is null (offline: only what the cache already holds).
   */
  readFile(canonical: string, url: string | null, commit: string, path: string): Promise<GitAnswer<string | null>>;
  dispose(): Promise<void>;
}

const GIT_ENV = { GIT_TERMINAL_PROMPT: '0', GIT_ASKPASS: '', SSH_ASKPASS: '', GCM_INTERACTIVE: 'never', LC_ALL: 'C' };

interface GitRun { code: number; stdout: string; stderr: string }

function git(args: string[], cwd?: string): Promise<GitRun> {
  return new Promise((resolve) => {
    execFile('git', args, { cwd, env: { ...process.env, ...GIT_ENV }, timeout: 300_000, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) || (error?.message ?? '') });
    });
  });
}

/** Where a repository is asked for, and how messages name it. */
interface Remote { canonical: string; url: string }

/**
 * Missing commit or repository (an answer about the pack) versus the host failing (unreachable, too
 * slow, rate limits, server errors, or anything git could not explain: transient, so the lock keeps
 * what it had). The lock's words name the canonical host only; the terminal gets git's own.
 */
function classify(run: GitRun, what: string, remote: Remote): GitAnswer<never> {
  const text = run.stderr;
  if (/not our ref|couldn't find remote ref|unadvertised object|no such remote ref|is not a commit/i.test(text)) {
    return { kind: 'missing', reason: `${what} is not in the repository (force-pushed, or a local commit?)` };
  }
  if (/repository not found|does not appear to be a git repository|not found|terminal prompts disabled|could not read username/i.test(text)) {
    return { kind: 'missing', reason: 'the repository does not exist or is private' };
  }
  // Said as the HTTP client says it, so an outage of every host is still one line.
  const unreachable = /could not resolve host|couldn't resolve host|could not resolve hostname/i.test(text) ? 'network error (ENOTFOUND)'
    : /failed to connect|connection refused|couldn't connect|no route to host|network is unreachable/i.test(text) ? 'network error (ECONNREFUSED)' : null;
  const kind = unreachable ? 'unreachable' : /timed out/i.test(text) ? 'timeout' : /returned error: 429/.test(text) ? 'rate-limited' : 'server-error';
  const via = remote.url === remote.canonical ? undefined : GITHUB_VARIABLE;
  return {
    kind: 'error', transient: true, message: unavailableHost(hostOf(remote.canonical)),
    trouble: { service: 'git', kind, detail: unreachable ?? firstLine(text), host: hostOf(remote.url), ...(via ? { via } : {}) },
  };
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}

function firstLine(text: string): string {
  const lines = text.split('\n').map((l) => l.trim()).filter((l) => l !== '');
  return (lines.find((l) => l.startsWith('fatal:')) ?? lines[0] ?? 'git failed').slice(0, 300);
}

function parseRefs(run: GitRun): GitAnswer<Map<string, string>> {
  const refs = new Map<string, string>();
  for (const line of run.stdout.split('\n')) {
    const [sha, ref] = line.split('\t');
    if (sha && ref && isFullCommit(sha)) refs.set(ref, sha);
  }
  return { kind: 'found', value: refs };
}

export async function openGitStore(cacheDir: string | null): Promise<GitStore> {
  let temp = cacheDir === null ? await mkdtemp(join(tmpdir(), 'comfygen-git-')) : null;
  let root = temp ?? join(cacheDir!, 'nodes', 'git');
  let fallback: Promise<string> | null = null;
  // A host that could not be reached (or did not answer) is not asked again this run: every
  // other pack on it gets the same answer at once, as the HTTP client does for API hosts.
  const down = new Map<string, GitAnswer<never> & { kind: 'error' }>();
  async function ask(remote: Remote, what: string, args: string[], cwd?: string): Promise<GitRun | GitAnswer<never>> {
    const host = remote.url.startsWith('file:') ? null : hostOf(remote.url);
    const gone = host === null ? undefined : down.get(host);
    if (gone) return { ...gone, message: unavailableHost(hostOf(remote.canonical)) };
    const run = await git(args, cwd);
    if (run.code === 0) return run;
    const answer = classify(run, what, remote);
    if (host !== null && answer.kind === 'error' && (answer.trouble?.kind === 'unreachable' || answer.trouble?.kind === 'timeout')) down.set(host, answer);
    return answer;
  }
  const failed = (r: GitRun | GitAnswer<never>): r is GitAnswer<never> => 'kind' in r;
  async function lsRemote(remote: Remote, patterns: string[]): Promise<GitAnswer<Map<string, string>>> {
    // A pattern lists an annotated tag's own object only; its commit is the `^{}` line, asked for by name.
    const peeled = patterns.filter((p) => p.startsWith('refs/tags/')).map((p) => `${p}^{}`);
    const run = await ask(remote, 'ref', ['ls-remote', '--', remote.url, ...patterns, ...peeled]);
    return failed(run) ? run : parseRefs(run);
  }

  // One operation at a time per bare repository (git locks its shallow file and refs).
  const queues = new Map<string, Promise<unknown>>();
  const serial = <T>(key: string, job: () => Promise<T>): Promise<T> => {
    const next = (queues.get(key) ?? Promise.resolve()).then(job, job);
    queues.set(key, next);
    return next;
  };

  async function bare(canonical: string, flavour: 'pins' | 'full'): Promise<string> {
    const name = `${createHash('sha256').update(canonical).digest('hex').slice(0, 20)}-${flavour}.git`;
    let dir = join(root, name);
    if (!existsSync(join(dir, 'HEAD'))) {
      try {
        await mkdir(dir, { recursive: true });
      } catch (err) {
        if (cacheDir === null) throw err;
        // The cache cannot hold repositories (`.comfygen` is a file, read-only): fetch into a
        // temporary folder for this run, as without a cache (one, however many ask at once).
        fallback ??= mkdtemp(join(tmpdir(), 'comfygen-git-')).then((made) => (temp = root = made));
        dir = join(await fallback, name);
        await mkdir(dir, { recursive: true });
      }
      await git(['init', '--bare', '-q', dir]);
    }
    return dir;
  }

  async function commitTime(dir: string, commit: string): Promise<number | null> {
    const run = await git(['log', '-1', '--format=%ct', commit, '--'], dir);
    return run.code === 0 ? Number(run.stdout.trim()) : null;
  }

  async function fullCommit(canonical: string, url: string, commit: string): Promise<GitAnswer<{ commit: string; time: number }>> {
    const dir = await bare(canonical, 'pins');
    const present = await git(['cat-file', '-e', `${commit}^{commit}`], dir);
    if (present.code !== 0) {
      const run = await ask({ canonical, url }, `commit ${commit}`, ['fetch', '-q', '--depth', '1', '--no-tags', '--', url, `+${commit}:refs/comfygen/${commit}`], dir);
      if (failed(run)) return run;
    }
    // A tag object's id is not a commit a checkout can be at: pin what it points to.
    const peeled = await git(['rev-parse', '--verify', '--quiet', `${commit}^{commit}`], dir);
    const target = peeled.stdout.trim();
    if (peeled.code !== 0 || !isFullCommit(target)) return { kind: 'missing', reason: `${commit} is not a commit` };
    const time = await commitTime(dir, target);
    return time === null ? { kind: 'missing', reason: `commit ${commit} is not in the repository` } : { kind: 'found', value: { commit: target, time } };
  }

  async function prefixCommit(canonical: string, url: string, prefix: string): Promise<GitAnswer<{ commit: string; time: number }>> {
    // A prefix cannot be fetched by name: fetch every branch and tag, then expand it locally.
    const dir = await bare(canonical, 'full');
    const run = await ask({ canonical, url }, `commit ${prefix}`, ['fetch', '-q', '--no-tags', '--', url, '+refs/heads/*:refs/heads/*', '+refs/tags/*:refs/tags/*'], dir);
    if (failed(run)) return run;
    const parsed = await git(['rev-parse', '--verify', '--quiet', '--end-of-options', `${prefix}^{commit}`], dir);
    const commit = parsed.stdout.trim();
    if (parsed.code !== 0 || !isFullCommit(commit)) {
      return { kind: 'missing', reason: `no single commit of the repository starts with ${prefix}` };
    }
    const time = await commitTime(dir, commit);
    return time === null ? { kind: 'missing', reason: `commit ${commit} is not readable` } : { kind: 'found', value: { commit, time } };
  }

  return {
    async defaultHead(canonical, url) {
      const refs = await lsRemote({ canonical, url }, ['HEAD']);
      if (refs.kind !== 'found') return refs;
      const head = refs.value.get('HEAD');
      return head ? { kind: 'found', value: head } : { kind: 'missing', reason: 'the repository has no default branch' };
    },
    async tagCommit(canonical, url, version) {
      const names = [version, `v${version}`].map((t) => `refs/tags/${t}`);
      const refs = await lsRemote({ canonical, url }, names);
      if (refs.kind !== 'found') return refs;
      for (const name of names) {
        const sha = refs.value.get(`${name}^{}`) ?? refs.value.get(name);
        if (sha) return { kind: 'found', value: sha };
      }
      return { kind: 'missing', reason: `the repository has no tag ${version} or v${version}` };
    },
    async refCommit(canonical, url, ref) {
      const names = [`refs/tags/${ref}`, `refs/heads/${ref}`];
      const refs = await lsRemote({ canonical, url }, names);
      if (refs.kind !== 'found') return refs;
      const sha = refs.value.get(`${names[0]}^{}`) ?? refs.value.get(names[0]!) ?? refs.value.get(names[1]!);
      return sha ? { kind: 'found', value: sha } : { kind: 'missing', reason: `the repository has no tag or branch ${ref}` };
    },
    commit(canonical, url, commit) {
      return serial(canonical, () => (isFullCommit(commit) ? fullCommit(canonical, url, commit) : prefixCommit(canonical, url, commit)));
    },
    readFile(canonical, url, commit, path) {
      return serial(canonical, async (): Promise<GitAnswer<string | null>> => {
        if (!isFullCommit(commit)) return { kind: 'missing', reason: `${commit} is not a full commit` };
        const dir = await bare(canonical, 'pins');
        const present = await git(['cat-file', '-e', `${commit}^{commit}`], dir);
        if (present.code !== 0) {
          if (url === null) return { kind: 'missing', reason: `commit ${commit} is not in the cache (offline)` };
          const run = await ask({ canonical, url }, `commit ${commit}`, ['fetch', '-q', '--depth', '1', '--no-tags', '--', url, `+${commit}:refs/comfygen/${commit}`], dir);
          if (failed(run)) return run;
        }
        const kind = await git(['cat-file', '-t', `${commit}:${path}`], dir);
        if (kind.code !== 0 || kind.stdout.trim() !== 'blob') return { kind: 'found', value: null };
        const shown = await git(['cat-file', 'blob', `${commit}:${path}`], dir);
        return shown.code === 0 ? { kind: 'found', value: shown.stdout } : { kind: 'error', message: `${path} of ${commit} cannot be read from the cache`, transient: false };
      });
    },
    async dispose() {
      await Promise.allSettled(queues.values());
      if (temp) await rm(temp, { recursive: true, force: true });
    },
  };
}
