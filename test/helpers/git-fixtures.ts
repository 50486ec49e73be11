/**
 * Bare git repositories in a temp folder, laid out like a git host (`<root>/<owner>/<repo>`), so
 * `GITHUB_ENDPOINT=file://<root>` serves `https://github.com/<owner>/<repo>` to comfygen and nodes.sh.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

export interface FixtureRepo {
  /** Path of the bare repository. */
  path: string;
  /** Commits, oldest first. */
  commits: string[];
  tip: string;
}

const ENV = {
  ...process.env,
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_AUTHOR_NAME: 'fixture',
  GIT_AUTHOR_EMAIL: 'fixture@example.invalid',
  GIT_COMMITTER_NAME: 'fixture',
  GIT_COMMITTER_EMAIL: 'fixture@example.invalid',
};

export function git(args: string[], cwd?: string, env: Record<string, string> = {}): string {
  return execFileSync('git', args, { cwd, env: { ...ENV, ...env }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

/**
 * Creates `<root>/<slug>` as a bare repository whose branch `main` has one commit per file map
 * (files are added or overwritten; earlier files stay). Commit times are one hour apart.
 */
export function createBareRepo(root: string, slug: string, commits: Record<string, string>[]): FixtureRepo {
  const work = mkdtempSync(join(tmpdir(), 'comfygen-fixture-'));
  try {
    git(['init', '-q', '-b', 'main', work]);
    const shas: string[] = [];
    commits.forEach((files, i) => {
      for (const [name, content] of Object.entries(files)) {
        mkdirSync(dirname(join(work, name)), { recursive: true });
        writeFileSync(join(work, name), content);
      }
      git(['add', '-A'], work);
      const date = `${1_700_000_000 + i * 3600} +0000`;
      git(['commit', '-q', '-m', `commit ${i + 1}`], work, { GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date });
      shas.push(git(['rev-parse', 'HEAD'], work));
    });
    const path = join(root, slug);
    mkdirSync(dirname(path), { recursive: true });
    git(['clone', '-q', '--bare', work, path]);
    return { path, commits: shas, tip: shas[shas.length - 1]! };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
