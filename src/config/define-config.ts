import type { UserConfig } from './schema.js';

/** Identity helper that gives comfy.config.ts editor completion and type checking. */
export function defineConfig(config: UserConfig): UserConfig {
  return config;
}
