/** The package API: what comfy.config.ts imports, and types for programmatic use. */
export { defineConfig } from './config/define-config.js';
export type { UserConfig } from './config/schema.js';
export type { ScannedWorkflow, ModelRef, Lockfile, LockEntry } from './core/types.js';
