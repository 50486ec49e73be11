/**
 * A worker_threads pool that hashes files in parallel, one file per worker at a time. Workers
 * start on demand and hold the process open only while they have work, so a caller that forgets
 * close() does not hang; close() terminates them. With `caller`, the calling thread is one of
 * the pool's `size` hashers (a file at a time, letting its event loop run every few MiB): one
 * worker fewer to start (~60 ms of CPU each), for a caller with nothing else to do meanwhile.
 */
import type { Worker } from 'node:worker_threads';
import { type HashAlgorithm, type HashedFile, hashError, hashFileSync, hashFileYielding, prepareDigests } from './hash-file.js';
import { spawnModuleWorker } from './spawn-worker.js';

export interface WorkerRequest {
  id: number;
  path: string;
  algorithms: HashAlgorithm[];
}

/** Sent to a worker started ahead of its first file: load what these algorithms need. */
export interface WorkerPrepare {
  prepare: HashAlgorithm[];
}

export type WorkerReply =
  | { id: number; kind: 'progress'; bytes: number }
  | { id: number; kind: 'done'; result: HashedFile; unreported: number }
  | { id: number; kind: 'error'; message: string; code: string | null; unreported: number };

interface Task extends WorkerRequest {
  resolve: (result: HashedFile) => void;
  reject: (error: Error) => void;
}

interface Slot {
  worker: Worker;
  task: Task | null;
}

export class HashPool {
  private readonly slots: Slot[] = [];
  private readonly queue: Task[] = [];
  private nextId = 0;
  private callerBusy = false;
  private closed = false;

  /** size 0 hashes on the calling thread, blocking it for one whole file at a time. */
  constructor(private readonly size: number, private readonly onBytes: (path: string, bytes: number) => void, private readonly caller = false) {}

  private get workers(): number {
    return this.caller ? this.size - 1 : this.size;
  }

  async run(path: string, algorithms: HashAlgorithm[]): Promise<HashedFile> {
    if (this.size === 0) {
      const start = await prepareDigests(algorithms);
      try {
        return hashFileSync(path, start, (bytes) => this.onBytes(path, bytes));
      } catch (error) {
        const err = error as NodeJS.ErrnoException;
        throw hashError(path, err.message, err.code ?? null);
      }
    }
    return new Promise((resolve, reject) => {
      this.queue.push({ id: this.nextId++, path, algorithms, resolve, reject });
      this.pump();
    });
  }

  /**
   * Starts every worker now, each loading what `algorithms` need, so that a caller with other
   * work to do first (loading a config, walking folders) overlaps their start-up with it. Idle,
   * they do not keep the process alive.
   */
  start(algorithms: HashAlgorithm[]): void {
    while (this.slots.length < this.workers) {
      const slot = this.spawn();
      slot.worker.postMessage({ prepare: algorithms } satisfies WorkerPrepare);
      slot.worker.unref();
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    const slots = this.slots.splice(0);
    for (const task of this.queue.splice(0)) task.reject(new Error('hash pool closed'));
    for (const slot of slots) slot.task?.reject(new Error('hash pool closed'));
    await Promise.all(slots.map((slot) => slot.worker.terminate()));
  }

  private pump(): void {
    while (this.queue.length > 0) {
      if (this.caller && !this.callerBusy) {
        this.hashOnCaller(this.queue.shift()!);
        continue;
      }
      let slot = this.slots.find((s) => s.task === null);
      if (!slot) {
        if (this.slots.length >= this.workers) return;
        slot = this.spawn();
      }
      const task = this.queue.shift()!;
      slot.task = task;
      slot.worker.ref();
      slot.worker.postMessage({ id: task.id, path: task.path, algorithms: task.algorithms } satisfies WorkerRequest);
    }
  }

  private hashOnCaller(task: Task): void {
    this.callerBusy = true;
    void (async () => {
      try {
        const start = await prepareDigests(task.algorithms);
        task.resolve(await hashFileYielding(task.path, start, (bytes) => this.onBytes(task.path, bytes), () => this.closed));
      } catch (error) {
        const err = error as NodeJS.ErrnoException;
        task.reject(hashError(task.path, err.message, err.code ?? null));
      } finally {
        this.callerBusy = false;
        this.pump();
      }
    })();
  }

  private spawn(): Slot {
    const slot: Slot = { worker: spawnModuleWorker(import.meta.url, 'hash-worker'), task: null };
    slot.worker.on('message', (reply: WorkerReply) => this.receive(slot, reply));
    slot.worker.on('error', (error) => this.retire(slot, error));
    slot.worker.on('exit', (code) => this.retire(slot, new Error(`hash worker exited with code ${code}`)));
    this.slots.push(slot);
    return slot;
  }

  private receive(slot: Slot, reply: WorkerReply): void {
    const task = slot.task;
    if (!task || task.id !== reply.id) return;
    if (reply.kind === 'progress') {
      this.onBytes(task.path, reply.bytes);
      return;
    }
    this.onBytes(task.path, reply.unreported);
    slot.task = null;
    if (this.queue.length === 0) slot.worker.unref();
    if (reply.kind === 'done') task.resolve(reply.result);
    else task.reject(hashError(task.path, reply.message, reply.code));
    this.pump();
  }

  /** A crashed worker fails its file only; the pool replaces it on the next pump. */
  private retire(slot: Slot, error: Error): void {
    const at = this.slots.indexOf(slot);
    if (at < 0) return;
    this.slots.splice(at, 1);
    slot.task?.reject(hashError(slot.task.path, error.message, null));
    slot.task = null;
    this.pump();
  }
}
