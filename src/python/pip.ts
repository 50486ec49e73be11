/**
 * pip's resolver at build time: `pip install --dry-run --ignore-installed --report` (pip ≥ 22.2)
 * resolves the plan to exact versions against the package index pip is configured with
 * (`PIP_INDEX_URL`, pip.conf), without installing anything. The report is validated at the
 * boundary; what pip printed goes only into a diagnostic, never into the lock.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as v from 'valibot';

const ReportSchema = v.object({
  install: v.array(v.object({
    metadata: v.object({ name: v.string(), version: v.string(), requires_dist: v.optional(v.array(v.string())) }),
    download_info: v.optional(v.object({
      url: v.string(),
      archive_info: v.optional(v.object({ hash: v.optional(v.string()), hashes: v.optional(v.record(v.string(), v.string())) })),
    })),
    requested: v.optional(v.boolean()),
  })),
  environment: v.object({ python_version: v.string() }),
});

export type PipReport = v.InferOutput<typeof ReportSchema>;

export type PipAnswer =
  | { kind: 'resolved'; report: PipReport; indexes: string[] }
  | { kind: 'unavailable'; reason: string }
  | { kind: 'failed'; message: string; transient: boolean };

interface Run { code: number; stdout: string; stderr: string }

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<Run> {
  return new Promise((resolve) => {
    execFile(cmd, args, { env: { ...env, PIP_DISABLE_PIP_VERSION_CHECK: '1', PIP_NO_INPUT: '1', PYTHONDONTWRITEBYTECODE: '1' }, timeout: timeoutMs, maxBuffer: 64 * 2 ** 20 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        resolve({ code, stdout: String(stdout), stderr: String(stderr) || (error?.message ?? '') });
      });
  });
}

/** pip's version as `[major, minor]`, or a reason it cannot be used. */
export async function pipVersion(python: string, env: NodeJS.ProcessEnv): Promise<{ version: string } | { unavailable: string }> {
  const answer = await run(python, ['-m', 'pip', '--version'], env, 60_000);
  const m = /^pip (\d+)\.(\d+)/m.exec(answer.stdout);
  if (answer.code !== 0 || !m) return { unavailable: `${python} -m pip does not run` };
  const [major, minor] = [Number(m[1]), Number(m[2])];
  if (major < 22 || (major === 22 && minor < 2)) return { unavailable: `pip ${major}.${minor} is older than 22.2 (no --dry-run --report)` };
  return { version: `${major}.${minor}` };
}

/** Resolves `input` (requirement lines) the way `pip install` would, installing nothing. */
export async function pipResolve(input: string, opts: { python: string; env: NodeJS.ProcessEnv; timeoutMs?: number }): Promise<PipAnswer> {
  const version = await pipVersion(opts.python, opts.env);
  if ('unavailable' in version) return { kind: 'unavailable', reason: version.unavailable };
  const dir = await mkdtemp(join(tmpdir(), 'comfygen-pip-'));
  try {
    await writeFile(join(dir, 'plan.txt'), input);
    const answer = await run(opts.python, [
      '-m', 'pip', 'install', '--dry-run', '--ignore-installed', '--progress-bar', 'off',
      '--report', join(dir, 'report.json'), '-r', join(dir, 'plan.txt'),
    ], opts.env, opts.timeoutMs ?? 15 * 60_000);
    if (answer.code !== 0) return { kind: 'failed', message: pipError(answer.stderr), transient: isTransient(answer.stderr) };
    let raw: unknown;
    try {
      raw = JSON.parse(await readFile(join(dir, 'report.json'), 'utf8'));
    } catch (err) {
      return { kind: 'failed', message: `pip wrote no readable report (${(err as Error).message})`, transient: false };
    }
    const parsed = v.safeParse(ReportSchema, raw);
    if (!parsed.success) {
      const issue = parsed.issues[0];
      return { kind: 'failed', message: `pip's report has an unexpected shape at ${issue ? v.getDotPath(issue) ?? '(root)' : '(root)'}`, transient: false };
    }
    return { kind: 'resolved', report: parsed.output, indexes: indexesOf(answer.stdout) };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** pip names its indexes when they are not PyPI alone (`Looking in indexes: a, b`). */
function indexesOf(stdout: string): string[] {
  const line = /^Looking in indexes: (.+)$/m.exec(stdout)?.[1];
  return line ? line.split(', ').map((u) => u.trim()).filter((u) => u !== '') : ['https://pypi.org/simple'];
}

/** Connection trouble (pip retried and gave up) as opposed to an answer: no such version, a conflict. */
function isTransient(stderr: string): boolean {
  return /Retrying \(Retry\(|NewConnectionError|ConnectTimeout|ReadTimeout|Max retries exceeded|Temporary failure in name resolution|ProxyError|SSLError|HTTP error 5\d\d|Connection (refused|reset)/i.test(stderr);
}

function pipError(stderr: string): string {
  const lines = stderr.split('\n').map((l) => l.trim()).filter((l) => l !== '');
  const errors = lines.filter((l) => l.startsWith('ERROR:'));
  return (errors.length > 0 ? errors : lines.slice(-3)).join(' ').slice(0, 1000) || 'pip failed';
}
