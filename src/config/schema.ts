/**
 * comfy.config.ts as a valibot schema (DESIGN §2, §9). Strict objects, so a typo in a key is an
 * error that names the key instead of a silently ignored setting.
 */
import * as v from 'valibot';
import { canonicalRepo } from '../nodes/ids.js';
import { scrubCredentials } from '../scan/refs/credentials.js';

const nonEmpty = v.pipe(v.string(), v.minLength(1, 'expected a non-empty string'));
const sha256 = v.pipe(v.string(), v.regex(/^[0-9a-fA-F]{64}$/, 'expected 64 hex characters (a sha256)'));
const httpUrl = v.pipe(
  v.string(),
  v.regex(/^https?:\/\/[^\s]+$/, 'expected an http(s) URL'),
  // The config is committed, and whatever URL it gives lands in the lock and download.sh.
  v.check((url) => scrubCredentials(url).removed.length === 0, 'expected a URL without credentials (a token, key or user:password@ would be written into the lock and download.sh); set HF_TOKEN / CIVITAI_TOKEN in the environment instead'),
);
const modelKey = v.pipe(
  v.string(),
  v.regex(/^[A-Za-z0-9_.-]+\/[^\0]+$/, "expected '<folder>/<file name>', e.g. 'loras/my_style.safetensors'"),
);

const UrlSource = v.strictObject({
  type: v.literal('url'),
  files: v.record(modelKey, v.strictObject({ url: httpUrl, sha256: v.optional(sha256), size: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0))) })),
});
const EmbeddedSource = v.strictObject({ type: v.literal('embedded') });
const HuggingfaceSource = v.strictObject({
  type: v.literal('huggingface'),
  repos: v.optional(v.array(v.pipe(v.string(), v.regex(/^(datasets\/)?[\w.-]+\/[\w.-]+(@[^\s]+)?$/, "expected 'owner/name' (optionally 'owner/name@revision')")))),
});
const CivitaiSource = v.strictObject({ type: v.literal('civitai') });
const CatalogSource = v.strictObject({ type: v.literal('catalog'), path: nonEmpty });

export const SourceSchema = v.variant('type', [UrlSource, EmbeddedSource, HuggingfaceSource, CivitaiSource, CatalogSource]);

const PackPin = v.union([
  v.strictObject({ repo: httpUrl, commit: v.pipe(v.string(), v.regex(/^[0-9a-f]{40}$/, 'expected a 40-hex commit sha')) }),
  v.strictObject({ registry: nonEmpty, version: nonEmpty }),
]);

export const ConfigSchema = v.strictObject({
  workflows: v.pipe(v.array(nonEmpty), v.minLength(1, 'expected at least one glob')),
  models: v.optional(
    v.strictObject({
      roots: v.optional(v.array(nonEmpty)),
      extraModelPaths: v.optional(v.array(nonEmpty)),
      target: v.optional(nonEmpty),
    }),
  ),
  sources: v.optional(v.array(SourceSchema)),
  output: v.optional(v.strictObject({ dir: v.optional(nonEmpty) })),
  comfyui: v.optional(
    v.strictObject({
      dir: v.optional(nonEmpty),
      install: v.optional(v.boolean()),
      repo: v.optional(v.pipe(v.string(), v.check((r) => canonicalRepo(r) !== null, "expected a GitHub 'owner/repo' or an https URL of a git repository"))),
      ref: v.optional(v.pipe(
        v.string(),
        v.regex(/^(?!-)(?!.*\.\.)[A-Za-z0-9._\/+-]{1,200}$/, "expected a tag, a branch or a 40-hex commit, e.g. 'v0.3.59'"),
      )),
    }),
  ),
  python: v.optional(v.strictObject({ plan: v.optional(v.boolean()), resolve: v.optional(v.boolean()) })),
  nodes: v.optional(v.strictObject({ install: v.optional(v.boolean()), pins: v.optional(v.record(nonEmpty, PackPin)) })),
});

/** What a user writes in comfy.config.ts. */
export type UserConfig = v.InferInput<typeof ConfigSchema>;
