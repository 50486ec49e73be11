/**
 * The scanner's data tables, loaded once and indexed so each node costs O(1) lookups.
 * Change the JSON, not this module: loader-nodes.json (which inputs name model files),
 * core-nodes.json (types that need no pack), pack-nodes.json (types of popular packs).
 */
import loaderData from './loader-nodes.json' with { type: 'json' };
import coreData from './core-nodes.json' with { type: 'json' };
import packData from './pack-nodes.json' with { type: 'json' };
import fetchData from './fetch-nodes.json' with { type: 'json' };

export interface InputSpec {
  /** Input name as in the table (`lora_*` for a numbered family). */
  name: string;
  folder: string;
  /** Position in UI array `widgets_values`; null = match by value. */
  widgetIndex: number | null;
  nonFile: ReadonlySet<string>;
  /** For a numbered family: matches the concrete input names (`lora_1`, `lora_2`, …). */
  family: RegExp | null;
  /** Text the pack parses for `<lora:name:…>` tags (wildcard and prompt nodes), not a file name. */
  loraTags: boolean;
}

export interface LoaderSpec {
  pack: string | null;
  inputs: InputSpec[];
}

interface RawInput {
  folder: string;
  widget_index?: number;
  non_file_values?: string[];
  kind?: string;
}
interface RawLoader {
  pack?: string;
  inputs: Record<string, RawInput>;
}

/** Values loaders offer that are not files (`None`, `Baked VAE`, `pixel_space`, …). */
export const NON_FILE_VALUES: ReadonlySet<string> = new Set(loaderData.non_file_values);

/** VAELoader names synthesised from a `vae_approx` encoder/decoder pair. */
export const APPROX_VAE_VALUES: ReadonlySet<string> = new Set(['taesd', 'taesdxl', 'taesd3', 'taef1']);

const LOADERS = new Map<string, LoaderSpec>();
for (const table of [loaderData.core, loaderData.custom] as unknown as Record<string, RawLoader>[]) {
  for (const [type, raw] of Object.entries(table)) {
    LOADERS.set(type, {
      pack: raw.pack ?? null,
      inputs: Object.entries(raw.inputs).map(([name, input]) => ({
        name,
        folder: input.folder,
        widgetIndex: input.widget_index ?? null,
        nonFile: new Set(input.non_file_values ?? []),
        family: name.includes('*') ? familyPattern(name) : null,
        loraTags: input.kind === 'lora_tags',
      })),
    });
  }
}

/** A preset input whose value implies files, per model family (IPAdapter's unified loaders). */
export interface ImpliedSpec {
  input: string;
  widgetIndex: number | null;
  /** preset value → family → [folder, name][] */
  presets: ReadonlyMap<string, Readonly<Partial<Record<'sd15' | 'sdxl', readonly (readonly [string, string])[]>>>>;
}

interface RawImplied {
  input: string;
  widget_index?: number;
  presets: Record<string, Partial<Record<'sd15' | 'sdxl', [string, string][]>>>;
}

const IMPLIED = new Map<string, ImpliedSpec>();
for (const [type, raw] of Object.entries((loaderData as unknown as { implied?: Record<string, RawImplied> }).implied ?? {})) {
  IMPLIED.set(type, { input: raw.input, widgetIndex: raw.widget_index ?? null, presets: new Map(Object.entries(raw.presets)) });
}

export function impliedFor(type: string): ImpliedSpec | undefined {
  return IMPLIED.get(type);
}

function familyPattern(name: string): RegExp {
  const [head, tail] = name.split('*', 2).map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`^${head}(\\d+)${tail ?? ''}$`);
}

export function loaderFor(type: string): LoaderSpec | undefined {
  return LOADERS.get(type);
}

const RENAMES = new Map<string, string>(Object.entries(coreData.renames));
const CORE = new Set<string>(coreData.core);
const FRONTEND_ONLY = new Set<string>(coreData.frontend_only);
const DOCUMENTATION = new Set<string>(coreData.documentation);

/** The class name the frontend uses after its load-time renames. */
export function renameType(type: string): string {
  return RENAMES.get(type) ?? type;
}

/** Built into ComfyUI: needs no custom node pack. */
export function isCoreType(type: string): boolean {
  return CORE.has(type);
}

/** Exists only in the web UI (notes, primitives, reroutes). */
export function isFrontendOnly(type: string): boolean {
  return FRONTEND_ONLY.has(type);
}

/** Prose, not parameters: never scanned for embeddings or file names. */
export function isDocumentation(type: string): boolean {
  return DOCUMENTATION.has(type);
}

const PACK_BY_TYPE = new Map<string, string>();
for (const [pack, types] of Object.entries(packData.packs as Record<string, string[]>)) {
  for (const type of types) if (!PACK_BY_TYPE.has(type)) PACK_BY_TYPE.set(type, pack);
}
for (const [type, spec] of LOADERS) if (spec.pack && !PACK_BY_TYPE.has(type)) PACK_BY_TYPE.set(type, spec.pack);
const PACK_SUFFIXES = packData.suffixes as [string, string][];
const NO_GUESS_PACKS = new Set(packData.no_guess.map((pack) => pack.toLowerCase()));
const KNOWN_TYPES = new Set<string>(packData.known_types);
const NO_GUESS_IDS = new Set(packData.no_guess.map((pack) => repoName(pack)));

/** The GitHub `owner/repo` of a popular pack that defines this node type, if known. */
export function packForType(type: string): string | null {
  const known = PACK_BY_TYPE.get(type);
  if (known) return known;
  for (const [suffix, pack] of PACK_SUFFIXES) if (type.endsWith(suffix)) return pack;
  return null;
}

/**
 * Packs whose nodes fetch their own weights (preprocessors): file-like values there are
 * reported, never turned into refs. Accepts `owner/repo` or a registry id.
 */
export function isNoGuessPack(packOrId: string): boolean {
  const lower = packOrId.toLowerCase();
  return NO_GUESS_PACKS.has(lower) || NO_GUESS_IDS.has(lower);
}

/**
 * A pack node type whose inputs were all read from the pack's code: a model-like value on it
 * that no loader row names is no file the node loads from a models folder (a repo id, a name
 * written into metadata, a file it downloads itself), so it is reported, never guessed.
 */
export function isKnownPackType(type: string): boolean {
  return KNOWN_TYPES.has(type);
}

/** `owner/Repo-Name` → `repo-name`: registry ids are usually the repository name, lower-cased. */
export function repoName(pack: string): string {
  return (pack.split('/').pop() ?? pack).toLowerCase();
}

const INPUT_HINTS = loaderData.folder_hints.input_prefixes as [string, string][];
const TYPE_HINTS = loaderData.folder_hints.type_keywords as [string, string][];
const NAME_HINTS = loaderData.folder_hints.name_keywords as [string, string][];

/** Folder suggested by an input name (`lora_name` → loras), for nodes missing from the table. */
export function folderHintForInput(input: string): string | null {
  const lower = input.toLowerCase();
  for (const [prefix, folder] of INPUT_HINTS) if (lower.startsWith(prefix)) return folder;
  return null;
}

/** Folder a file name points at (`control_v11f1e_sd15_tile.pth` → controlnet), when exactly one. */
export function folderHintForName(name: string): string | null {
  const lower = name.toLowerCase();
  let found: string | null = null;
  for (const [keyword, folder] of NAME_HINTS) {
    if (!lower.includes(keyword)) continue;
    if (found !== null && found !== folder) return null;
    found = folder;
  }
  return found;
}

/** Folder suggested by a node type, only when its name points at exactly one folder. */
export function folderHintForType(type: string): string | null {
  let rest = type.toLowerCase().replace(/[\s_-]+/g, '');
  let found: string | null = null;
  for (const [keyword, folder] of TYPE_HINTS) {
    const key = keyword.replace(/_/g, '');
    if (!rest.includes(key)) continue;
    // Consume the keyword so `clip` does not match again inside `clipvision`.
    rest = rest.split(key).join(' ');
    if (found !== null && found !== folder) return null;
    found = folder;
  }
  return found;
}

/** One thing a self-downloading node fetches (src/scan/fetch-nodes.json, from data/packs/fetches.json). */
export interface FetchItem {
  hf?: string;
  file?: string;
  revision?: string;
  snapshot?: boolean;
  allow?: string[];
  ignore?: string[];
  url?: string;
  mirrors?: string[];
  /** The lock key, `{input}` / `{input|tail}` filled in from the node's values; `hf-cache` for the Hugging Face cache. */
  to: string;
}

export interface FetchRow {
  pack: string;
  inputs: Record<string, { widget_index?: number; default?: string }>;
  fetch: FetchItem[];
  cases: { when: Record<string, string | string[] | { not: string[] }>; fetch: FetchItem[] }[];
}

const FETCHES = new Map<string, FetchRow>(Object.entries(fetchData.nodes as unknown as Record<string, FetchRow>));

/** What a node type fetches for itself at run time, if it is one the table knows. */
export function fetchFor(type: string): FetchRow | undefined {
  return FETCHES.get(type);
}
