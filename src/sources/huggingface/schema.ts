/**
 * Hugging Face Hub answers comfygen reads (huggingface-api.md §2–3, hf-samples.json). `v.object`
 * keeps only the fields declared here (cached answers stay small); extra fields are fine.
 */
import * as v from 'valibot';

/** `GET /api/{type}s/{repo}/revision/{rev}`. */
export const RevisionSchema = v.object({
  id: v.string(),
  sha: v.pipe(v.string(), v.regex(/^[0-9a-f]{40}$/, 'expected a 40-hex commit sha')),
  private: v.optional(v.boolean()),
  /** `false | "auto" | "manual"`. */
  gated: v.optional(v.union([v.boolean(), v.string()])),
  disabled: v.optional(v.boolean()),
});
export type Revision = v.InferOutput<typeof RevisionSchema>;

/** One entry of `GET /api/{type}s/{repo}/tree/{rev}[/{dir}]`. */
export const TreeEntrySchema = v.object({
  type: v.string(),
  path: v.string(),
  /** Git blob sha1 (of the pointer for LFS files): never a content hash. */
  oid: v.optional(v.string()),
  size: v.optional(v.number()),
  /** `lfs.oid` is the sha256 of the real content. */
  lfs: v.optional(v.object({ oid: v.string(), size: v.optional(v.number()) })),
});
export type TreeEntry = v.InferOutput<typeof TreeEntrySchema>;

export const TreePageSchema = v.array(TreeEntrySchema);
