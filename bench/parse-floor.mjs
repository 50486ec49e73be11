// The least a cold scan can do: read every workflow and JSON.parse it, on one worker thread per
// core, and nothing else (no extraction, no results sent back). The bench sets this beside the
// cold build so the distance between the two is on the table.
//   node bench/parse-floor.mjs <workflows-dir>
import { readdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';

const root = process.argv[2];
const files = readdirSync(root, { recursive: true }).filter((f) => f.endsWith('.json')).sort().map((f) => join(root, f));
const body = `
const { parentPort, workerData } = require('node:worker_threads');
const { readFileSync } = require('node:fs');
let nodes = 0;
for (const f of workerData) {
  const v = JSON.parse(readFileSync(f, 'utf8'));
  nodes += Array.isArray(v.nodes) ? v.nodes.length : Object.keys(v).length;
}
parentPort.postMessage(nodes);`;
const n = availableParallelism();
const parts = Array.from({ length: n }, (_, i) => files.slice(Math.floor((i * files.length) / n), Math.floor(((i + 1) * files.length) / n)));
const counts = await Promise.all(parts.map((part) => new Promise((done, fail) => {
  const w = new Worker(body, { eval: true, workerData: part });
  w.once('message', done);
  w.once('error', fail);
})));
process.stdout.write(`${JSON.stringify({ files: files.length, workers: n, nodes: counts.reduce((a, b) => a + b, 0) })}\n`);
