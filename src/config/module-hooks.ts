/**
 * Module hooks for the configs that cannot load without them (one registration per process, on
 * a loader thread every later import then waits on, so no build registers them otherwise):
 *
 * - a comfy.config.{js,mjs} importing `comfygen` where comfygen runs through npx or a global
 *   install and is not in the project's node_modules: the bare name resolves to us when normal
 *   resolution fails;
 * - a transpiled comfy.config.ts in a project whose `.comfygen/` cannot be written (ts-loader.ts
 *   runs it from there otherwise): it runs under the config's own URL (plus a query naming the
 *   load), its code handed to the loader thread through a message port, so nothing is ever
 *   written beside the user's config, and a read-only project loads too.
 */
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { register } from 'node:module';
import { pathToFileURL } from 'node:url';

const QUERY = 'comfygen-load';
/** The query of a module a config loaded through the hooks imports from its own files. */
const DEP = 'comfygen-dep';

let port: MessagePort | undefined;
let loads = 0;

/** Whether this process registered the hooks (tests check that builds which need none do not). */
export function hooksRegistered(): boolean {
  return port !== undefined;
}

export function registerConfigHooks(): void {
  if (port) return;
  // From dist/ we resolve to our own entry point; from the TypeScript sources (tests, dev) a
  // loader hook cannot hand .ts to tsx, so a one-line runtime stand-in serves (types are erased).
  const self = import.meta.url.endsWith('.js')
    ? new URL('../index.js', import.meta.url).href
    : `data:text/javascript,${encodeURIComponent('export function defineConfig(c) { return c; }')}`;
  const hooks = `
    const sources = new Map();
    const waiting = new Map();
    const ours = (url) => url.startsWith('file:') && new URL(url).searchParams.has(${JSON.stringify(QUERY)});
    export function initialize({ port }) {
      port.on('message', ({ url, source }) => {
        sources.set(url, source);
        waiting.get(url)?.();
        waiting.delete(url);
      });
      port.unref();
    }
    // The modules a config loaded here imports from its own files are fresh instances too (the
    // load's query carried on): a first plain import that failed on 'comfygen' in one of them left
    // that module failed in Node's cache, under its plain URL.
    const loadOf = (url) => url?.startsWith('file:') ? new URL(url).searchParams.get(${JSON.stringify(QUERY)}) ?? new URL(url).searchParams.get(${JSON.stringify(DEP)}) : null;
    export async function resolve(specifier, context, next) {
      if (ours(specifier)) return { url: specifier, shortCircuit: true };
      let found;
      if (specifier !== 'comfygen') found = await next(specifier, context);
      else {
        try { found = await next(specifier, context); }
        catch { return { url: ${JSON.stringify(self)}, shortCircuit: true }; }
      }
      const load = loadOf(context.parentURL);
      if (load === null || !found.url.startsWith('file:') || found.url.includes('/node_modules/') || found.url.includes('?')) return found;
      return { ...found, url: found.url + '?' + ${JSON.stringify(DEP)} + '=' + load };
    }
    export async function load(url, context, next) {
      if (!ours(url)) return next(url, context);
      if (!sources.has(url)) await new Promise((done) => waiting.set(url, done));
      const source = sources.get(url);
      sources.delete(url);
      return { format: 'module', source, shortCircuit: true };
    }`;
  const channel = new MessageChannel();
  port = channel.port1;
  port.unref();
  register(`data:text/javascript,${encodeURIComponent(hooks)}`, { data: { port: channel.port2 }, transferList: [channel.port2] });
}

/** Runs `code` as the module at `filepath` (each call a fresh instance) and returns its namespace. */
export async function importAs(filepath: string, code: string): Promise<Record<string, unknown>> {
  registerConfigHooks();
  const url = `${pathToFileURL(filepath).href}?${QUERY}=${++loads}`;
  port!.postMessage({ url, source: code });
  return (await import(url)) as Record<string, unknown>;
}
