/**
 * Civitai answers comfygen reads (civitai-api.md §2, civitai-samples.json). `v.object` keeps only
 * the fields declared here, so cached answers stay small; unknown extra fields are fine.
 */
import * as v from 'valibot';

// Ids go into the lock's URLs: whole, positive and exact (an answer's 1e300 would print as 1e+300).
const id = v.pipe(v.number(), v.safeInteger(), v.minValue(0));
const text = v.nullish(v.string());

export const FileSchema = v.object({
  id,
  name: v.string(),
  /** KiB as a float; bytes = sizeKB × 1024. */
  sizeKB: v.nullish(v.number()),
  type: text,
  metadata: v.nullish(v.object({ format: text, size: text, fp: text, quantType: text })),
  /** Keyed by hash type, values UPPERCASE hex; absent keys were never computed. */
  hashes: v.nullish(v.record(v.string(), v.string())),
  /** `true`, `false`, or absent in search results. */
  primary: v.nullish(v.boolean()),
});
export type CivitaiFile = v.InferOutput<typeof FileSchema>;

/** `GET /api/v1/model-versions/{id}`, `…/by-hash/{hash}`, items of `POST …/by-hash`. */
export const VersionSchema = v.object({
  id,
  modelId: id,
  name: text,
  publishedAt: text,
  model: v.nullish(v.object({ name: v.string(), type: text })),
  /** Archived versions have none. */
  files: v.optional(v.array(FileSchema), []),
});
export type CivitaiVersion = v.InferOutput<typeof VersionSchema>;

export const ByHashSchema = v.array(VersionSchema);

const ModelVersionSchema = v.object({
  id,
  name: text,
  publishedAt: text,
  files: v.optional(v.array(FileSchema), []),
});

/** `GET /api/v1/models/{id}` and the items of `GET /api/v1/models?query=`. */
export const ModelSchema = v.object({
  id,
  name: v.string(),
  type: text,
  modelVersions: v.optional(v.array(ModelVersionSchema), []),
});
export type CivitaiModel = v.InferOutput<typeof ModelSchema>;

export const SearchSchema = v.object({
  items: v.array(ModelSchema),
  metadata: v.nullish(v.object({ nextCursor: v.nullish(v.union([v.string(), v.number()])) })),
});
