/** Entry point for tests that need the CLI in its own process (signals, a real terminal, pipes). */
import { runProcess } from '../../src/cli/main.js';

runProcess(process.argv.slice(2));
