/**
 * argv → commands → exit codes (DESIGN §3): 0 success; 1 drift, error-level diagnostics or (with
 * `--strict`) a model an active node needs still unresolved; 2 usage or config errors. Known
 * errors print without a stack trace; unknown ones keep theirs.
 */
import { Command, CommanderError, Option } from 'commander';
import { UserError } from '../core/errors.js';
import { visible } from '../core/visible.js';
import { packageVersion } from '../core/package-root.js';
import type { Io } from './build-command.js';

/** The process entry (bin/comfygen.js): runs `main` and sets the exit code. */
export function runProcess(argv: string[]): void {
  // `comfygen scan | head`: a reader that stops early is not an error; end quietly, as other CLIs do.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EPIPE') throw err;
      process.exit(typeof process.exitCode === 'number' ? process.exitCode : 0);
    });
  }
  main(argv).then(
    (code) => { process.exitCode = code; },
    (err) => { console.error(err); process.exitCode = 1; },
  );
}

export async function main(argv: string[], io: Io = defaultIo()): Promise<number> {
  let exitCode = 0;
  const program = new Command('comfygen')
    .description('Pin every model your ComfyUI workflows need and render a safe, reviewable download.sh')
    .version(safeVersion(), '-v, --version')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) });

  const configOption = () => new Option('-c, --config <file>', 'config file (default: search comfy.config.{ts,mts,js,mjs,json} upwards)');

  program
    .command('build')
    .description('scan workflows, resolve models into comfy.lock.json, render the outputs')
    .addOption(configOption())
    .option('--offline', 'use only the lock and the cache; no network')
    .option('--frozen', 'fail (exit 1) instead of changing the lock or outputs')
    .option('--update [keys...]', 're-resolve every model and pack, or only these keys / folders / file names / node:<pack>')
    .option('--dry-run', 'show what would be written, write nothing')
    .option('--json', 'print one JSON summary on stdout')
    .option('-q, --quiet', 'print only warnings and errors')
    .option('--strict', 'exit 1 while any model an active node needs is unresolved')
    .option('--force', 'overwrite output files that lack the comfygen marker')
    .option('-w, --watch', 'rebuild when the config, a workflow folder or a model root changes')
    .action(async (flags) => {
      // Commands load on demand: `--version` and `--help` should not pay for the whole pipeline.
      exitCode = flags.watch ? await (await import('./watch.js')).watchBuild(flags, io) : await (await import('./build-command.js')).buildCommand('build', flags, io);
    });

  // `watch` is `build --watch` under its own name, so `comfygen watch` and `comfygen watch --help`
  // do what they say instead of an unknown command (or the top-level help).
  program
    .command('watch')
    .description('build, then rebuild whenever the config, a workflow folder or a model root changes (Ctrl-C stops)')
    .addOption(configOption())
    .option('--offline', 'use only the lock and the cache; no network')
    .option('-q, --quiet', 'print only warnings and errors')
    .option('--force', 'overwrite output files that lack the comfygen marker')
    .action(async (flags) => {
      exitCode = await (await import('./watch.js')).watchBuild(flags, io);
    });

  program
    .command('check')
    .description('offline: exit 1 when the lock or any output would change')
    .addOption(configOption())
    .option('--json', 'print one JSON summary on stdout')
    .option('-q, --quiet', 'print only problems: warnings, errors and what would change')
    .option('--strict', 'exit 1 while any model an active node needs is unresolved in the lock')
    .action(async (flags) => {
      exitCode = await (await import('./build-command.js')).buildCommand('check', flags, io);
    });

  program
    .command('scan')
    .description('extract model references (no network, no writes)')
    .argument('[files...]', 'workflow files (default: the config\'s workflow globs)')
    .addOption(configOption())
    .option('--json', 'print the scan as JSON')
    .action(async (files: string[], flags) => {
      exitCode = await (await import('./scan-command.js')).scanCommand(files, flags, io);
    });

  program
    .command('init')
    .description('write a starter comfy.config.ts (never overwrites)')
    .argument('[dir]', 'project folder', '.')
    .option('--comfy <path>', 'the ComfyUI install to use (default: ./ComfyUI, ../ComfyUI, ~/ComfyUI)')
    .action(async (dir: string, flags) => {
      exitCode = await (await import('./init-command.js')).initCommand(dir, flags, io);
    });

  program
    .command('why')
    .description('explain one model or node pack: who needs it, what is on disk, what each source said, the pin (offline, writes nothing)')
    .argument('<model>', 'a key (folder/name), a name or file name (with or without its extension), or a node pack (node:<id>)')
    .addOption(configOption())
    .option('--json', 'print the explanation as JSON')
    .action(async (model: string, flags) => {
      exitCode = await (await import('./why-command.js')).whyCommand(model, flags, io);
    });

  program
    .command('inventory')
    .description('list the local model files by folder, with the hashes the cache knows (reads no model file unless --hash)')
    .addOption(configOption())
    .option('--json', 'print { roots, files, diagnostics } as JSON')
    .option('--hash [algorithms]', 'hash the files the cache cannot answer: sha256, blake3 or sha256,blake3 (default sha256), and remember them')
    .action(async (flags) => {
      exitCode = await (await import('./inventory-command.js')).inventoryCommand(flags, io);
    });

  try {
    if (argv.length === 0) {
      program.outputHelp();
      return 2;
    }
    await program.parseAsync(argv, { from: 'user' });
    return exitCode;
  } catch (err) {
    if (err instanceof CommanderError) {
      return err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help' ? 0 : 2;
    }
    if (err instanceof UserError) {
      io.stderr.write(`comfygen: ${visible(err.message)}\n`);
      return err.exitCode;
    }
    throw err;
  }
}

function safeVersion(): string {
  try {
    return packageVersion();
  } catch {
    return '0.0.0';
  }
}

function defaultIo(): Io {
  return { cwd: process.cwd(), env: process.env, stdout: process.stdout, stderr: process.stderr };
}
