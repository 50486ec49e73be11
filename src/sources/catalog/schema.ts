/**
 * ComfyUI-Manager `model-list.json` (comfyui-models.md §5). Entries are checked one by one so a
 * single odd entry costs only itself.
 */
import * as v from 'valibot';

export const ModelListSchema = v.object({ models: v.array(v.unknown()) });

export const CatalogEntrySchema = v.object({
  name: v.optional(v.string()),
  type: v.optional(v.string()),
  save_path: v.optional(v.string(), 'default'),
  filename: v.pipe(v.string(), v.minLength(1)),
  url: v.pipe(v.string(), v.minLength(1)),
});
export type CatalogEntry = v.InferOutput<typeof CatalogEntrySchema>;
