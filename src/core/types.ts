/**
 * The nouns every stage shares. Stages are pure functions over these; IO lives at the edges.
 * Keep this file free of logic so a newcomer can read the whole data model in one sitting.
 */

export type Severity = 'error' | 'warning' | 'info';

/** A problem found while working, recorded as data (never thrown for bad input). */
export interface Diagnostic {
  /** Stable kebab-case code, documented in README ("Diagnostics"). */
  code: string;
  severity: Severity;
  message: string;
  /** Workflow or config file, relative to the config directory when possible. */
  file?: string;
  /** Node id inside a workflow, when the problem is about one node. */
  node?: string;
  /** What the user can do about it. */
  hint?: string;
}

/** Where in a workflow a model is named. */
export interface NodeUse {
  id: string;
  type: string;
  input: string;
}

/** Model metadata the workflow carries itself (`properties.models` / top-level `models`). */
export interface EmbeddedHint {
  url: string | null;
  sha256: string | null;
}

/** One model file a workflow needs, identified by canonical folder + name. */
export interface ModelRef {
  /**
   * Canonical ComfyUI folder key (`text_encoders`, never `clip`); for a file outside MODELS_DIR its
   * root and first segment (`comfyui:models`, `comfyui:custom_nodes`, `hf-cache:models`: src/core/roots.ts).
   */
  folder: string;
  /** The value as the workflow names it, with `/` as separator. */
  name: string;
  /** False when every node using it is muted (mode 2) or bypassed (mode 4). */
  active: boolean;
  nodes: NodeUse[];
  embedded: EmbeddedHint | null;
  /** Further URLs the workflow gave for the same (folder, name): mirrors. */
  mirrors?: string[];
  /** True when found by heuristics (unknown node, model-like extension), not by the loader table. */
  guessed?: boolean;
  /** Other names ComfyUI accepts for the same file, in its lookup order (embeddings written without an extension). */
  alternatives?: string[];
  /** Set when a node fetches this file itself at run time: what its pack's code downloads (src/scan/fetch-nodes.json). */
  fetch?: FetchSpec;
}

/**
 * What a self-downloading node fetches for one lock key, as its pack's code says: one file from
 * the URLs the pack tries in order (Hugging Face resolve URLs included), or a whole repository
 * snapshot (the key is a folder) filtered like huggingface_hub's `allow_patterns` / `ignore_patterns`.
 */
export type FetchSpec =
  | { pack: string; urls: string[] }
  | { pack: string; snapshot: SnapshotSpec };

export interface SnapshotSpec {
  /** `owner/name`, or `datasets/owner/name` for a dataset. */
  repo: string;
  revision: string;
  allow?: string[];
  ignore?: string[];
}

export interface CustomNodeRef {
  /** Registry id (cnr_id) or `owner/repo` (aux_id), lower-cased. */
  id: string;
  version: string | null;
  repo: string | null;
  /** Node types from this pack seen in the workflow, sorted. */
  nodeTypes?: string[];
}

export type WorkflowFormat = 'ui' | 'api' | 'png' | 'webp' | 'flac' | 'mp4';

/** Result of scanning one workflow file. Scanning never throws; problems go to diagnostics. */
export interface ScannedWorkflow {
  /** Path relative to the config directory, `/` separators. */
  path: string;
  format: WorkflowFormat | null;
  /** Which graph was read: the UI workflow or the API prompt (for media, the embedded one). */
  graph?: 'ui' | 'api';
  refs: ModelRef[];
  customNodes: CustomNodeRef[];
  /**
   * Node types of nodes that carry no `cnr_id`/`aux_id` (sorted, unique). Packs are looked up for
   * those that are neither core nor frontend-only (src/nodes). Optional: absent means none known.
   */
  untaggedNodeTypes?: string[];
  diagnostics: Diagnostic[];
}

/** Model key used by the lock, outputs and matching: `<folder>/<name>`. */
export type ModelKey = string;

/** A file found under a local model root. */
export interface LocalFile {
  /** Root as configured (for reports) and its absolute form. */
  root: string;
  /** Canonical folder key (aliases mapped). */
  folder: string;
  /** Path below the folder directory, `/` separators. */
  name: string;
  absPath: string;
  size: number;
  mtimeMs: number;
  ino: number;
}

/** Rungs of the local matching ladder, strongest first (src/inventory/match.ts). */
export type MatchHow = 'exact' | 'normalized' | 'basename' | 'content';

/** The local file that satisfies a model key, and how it was found. */
export interface LocalMatch {
  file: LocalFile;
  how: MatchHow;
  /** Further files the same rung matched equally well (the first one wins, in inventory order). */
  alternatives?: LocalFile[];
}

export type HashOrigin = 'api' | 'computed' | 'declared' | 'embedded';

/** A pinned, immutable location for one model. */
export interface LockedModel {
  source: string;
  /** Canonical public URL (never a mirror endpoint), pinned to a commit / version+file. */
  url: string;
  sha256: string | null;
  /** Exact byte count, or null when unknown; download.sh compares it with files on disk. */
  size: number | null;
  /**
   * A size the source publishes only approximately (Civitai's `sizeKB`), when `size` is null:
   * for display and estimates, never compared with a file.
   */
  approxSize?: number;
  /** Where sha256 came from (provenance, see hashing.md §6). */
  hashOrigin?: HashOrigin;
  blake3?: string;
  /** Which token download.sh may send: only to this source's own host. */
  auth?: 'huggingface' | 'civitai';
  /** Alternative URLs serving the same bytes. */
  mirrors?: string[];
  /** Filename at the source when it differs from the local name (provenance). */
  remoteName?: string;
  /**
   * For files in the Hugging Face cache: the name of the blob huggingface_hub stores it under
   * (its ETag: the sha256 of an LFS file, the git blob sha1 of any other).
   */
  etag?: string;
  /** A snapshot (the key is a folder): every file, by its path in the repository. `url` is the repository at the commit. */
  files?: Record<string, SnapshotFile>;
}

/** One file of a pinned snapshot. */
export interface SnapshotFile {
  /** Canonical resolve URL at the commit. */
  url: string;
  sha256: string;
  size: number;
  /** As `LockedModel.etag`, for snapshots in the Hugging Face cache. */
  etag?: string;
}

export interface LockEntry {
  /** What the user or workflow wrote (Nix `original`). */
  original: { url?: string; sha256?: string; repo?: string; catalog?: string };
  locked?: LockedModel;
  unresolved?: { reason: string; sha256: string | null };
}

export interface NodeLockEntry {
  /** `nodeTypes`: the untagged node types that revealed the pack, when no workflow named it. */
  original: { cnr_id?: string; aux_id?: string; ver?: string; nodeTypes?: string[] };
  /** Who chose the pin when the workflows did not: a config pin, or comfygen (latest / default branch). */
  chosenBy?: 'config' | 'comfygen';
  locked?:
    | { type: 'git'; repo: string; commit: string }
    | { type: 'registry'; id: string; version: string; url: string; sha256: string };
  unresolved?: { reason: string };
}

/** ComfyUI itself, pinned like a git pack (DESIGN §10). */
export interface ComfyuiLockEntry {
  /** The ref asked for: `comfyui.ref`, or the release tag of the newest `comfy-core` the workflows recorded. */
  original: { ref?: string };
  /** `config`: comfyui.ref; `comfygen`: nothing asked for a version, the default branch's tip was taken. */
  chosenBy?: 'config' | 'comfygen';
  locked?: { repo: string; commit: string };
  unresolved?: { reason: string };
}

/** What one pinned tree (ComfyUI or a pack) asks pip for, read at its pin. */
export interface PythonSourceEntry {
  /** The pin it was read at: a commit, or a registry zip's sha256. */
  pin: string;
  /** The file the requirements came from (`requirements.txt`, `pyproject.toml`), or null: neither. */
  file: string | null;
  /** Canonical PEP 508 requirements, in file order. */
  requirements: string[];
  /** Lines that are not part of the plan (pip options, VCS and URL requirements), with why. */
  skipped?: { line: string; reason: string }[];
  /** Set when the tree could not be read: its requirements are unknown. */
  unread?: string;
}

/** The exact versions pip chose for the plan, and every published sha256 of each. */
export interface PythonResolution {
  /** sha256 of the resolver's input (the merged plan): the resolution answers exactly that plan. */
  inputs: string;
  /** The Python (major.minor) it was resolved for. */
  python: string;
  packages: Record<string, { version: string; hashes: string[]; requiredBy?: string[] }>;
  /** Torch-family packages the plan needs only as dependencies: checked on the box, never installed. */
  checked?: string[];
}

export interface PythonLock {
  comfyui?: PythonSourceEntry;
  nodes: Record<string, PythonSourceEntry>;
  resolved?: PythonResolution;
  /** Why the plan is not resolved to exact versions (a general reason, never this machine's details). */
  unresolved?: { reason: string };
}

export interface Lockfile {
  version: 1;
  models: Record<ModelKey, LockEntry>;
  nodes?: Record<string, NodeLockEntry>;
  comfyui?: ComfyuiLockEntry;
  python?: PythonLock;
}

export type LockChange =
  | { kind: 'added'; key: string }
  | { kind: 'updated'; key: string }
  | { kind: 'removed'; key: string };

/** A rendered output: pure data until the one writer puts it on disk. */
export interface RenderedFile {
  /** Relative to the config directory. */
  path: string;
  content: string;
  mode: number;
}
