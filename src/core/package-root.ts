/** The comfygen package folder (holding package.json and templates/), from src/ under tsx or dist/src/. */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let root: string | null = null;

export function packageRoot(): string {
  if (root) return root;
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!(existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'templates')))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('comfygen: package root (package.json + templates/) not found');
    dir = parent;
  }
  root = dir;
  return dir;
}

export function packageVersion(): string {
  return String(JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')).version);
}
