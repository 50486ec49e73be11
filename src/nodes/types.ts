/**
 * The data custom-node pinning works on: what the workflows ask for (`PackDemand`, from the pure
 * `collectPacks`), how resolution is configured, and what it tells the user besides the lock
 * (`PackNote`). Lock entries themselves are `NodeLockEntry` in src/core/types.ts (DESIGN §9).
 */
import type { Diagnostic } from '../core/types.js';
import type { HttpClient } from '../io/http.js';

/** One normalised `ver` and the workflows that carry it. */
export interface VersionSeen {
  /** Semver (no leading `v`), lower-case hex (4–40) or `unknown` (also for a missing `ver`). */
  ver: string;
  workflows: string[];
}

export type PackDemand =
  /** A pack the workflows name by `cnr_id` and/or `aux_id`. */
  | {
      kind: 'pack';
      /** Lock key: the registry id, or `owner/repo` for a pack only known by `aux_id`; lower-case. */
      key: string;
      cnrId: string | null;
      /** `owner/repo` as spelled by the workflow or scanner. */
      auxId: string | null;
      /** Canonical repository URL when the workflow gives one (`aux_id`), else null. */
      repo: string | null;
      /** Sorted: semver ascending, then commits, then `unknown`. More than one is a conflict. */
      versions: VersionSeen[];
      nodeTypes: string[];
      workflows: string[];
    }
  /** ComfyUI itself (`cnr_id: comfy-core`): never installed, its versions are the ComfyUI range. */
  | { kind: 'core'; key: 'comfy-core'; versions: VersionSeen[]; nodeTypes: string[]; workflows: string[] }
  /** A node type no workflow attributes to a pack, not core, not frontend-only: look it up. */
  | { kind: 'untagged'; nodeType: string; workflows: string[] }
  /** A pack id or version that failed validation; carried so resolution can report it. */
  | { kind: 'invalid'; value: string; reason: string; workflows: string[] };

export type PackPin = { repo: string; commit: string } | { registry: string; version: string };

export interface ResolvePacksOptions {
  offline: boolean;
  /** true: re-resolve every pack; a list: re-resolve those keys (case-insensitive). */
  update: boolean | string[];
  /** `nodes.pins` from the config, keyed by pack id. */
  pins: Record<string, PackPin>;
  /** API base reached at build time; the lock still says https://api.comfy.org. */
  registryEndpoint: string;
  /** Git host base reached at build time (may be file:// in tests); the lock says https://github.com. */
  githubEndpoint: string;
  /** `.comfygen/` cache folder, or null for no cache (a temp folder is used and removed). */
  cacheDir: string | null;
  report: (d: Diagnostic) => void;
  /** The shared HTTP client (retries, limits); a default one when absent. */
  http?: HttpClient;
}

export type PackNoteKind =
  | 'comfyui-version'
  | 'version-conflict'
  | 'chosen-by-comfygen'
  | 'pinned-by-config'
  | 'found-by-node-type'
  | 'kept-from-lock';

/** Something about a pack the user should read in the report; not a problem by itself. */
export interface PackNote {
  /** Lock key, or `comfy-core` for ComfyUI itself. */
  pack: string;
  kind: PackNoteKind;
  message: string;
  versions?: string[];
  workflows?: string[];
}
