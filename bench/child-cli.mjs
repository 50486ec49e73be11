// The CLI as users run it (bin/comfygen.js), from the sources the bench compiled:
//   node bench/child-cli.mjs <dist-dir> <comfygen arguments…>
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const [distDir, ...args] = process.argv.slice(2);
const { runProcess } = await import(pathToFileURL(join(distDir, 'src/cli/main.js')).href);
runProcess(args);
