/**
 * `<lora:name:weight…>` tags in text that a pack parses and loads (Impact's wildcard encoder,
 * tinyterra's `loras` box, mikey's prompt nodes). Impact Pack modules/impact/wildcards.py
 * (extract_lora_values, process_with_loras): every `<lora:…>` tag, trimmed of `:`, split on `:`,
 * the first part is the LoRA; a name without a model extension gets `.safetensors`; the file is
 * looked up in `loras` (by suffix, so subfolders work).
 */
import { normalizeName } from '../../core/folders.js';
import { hasModelExtension } from './use.js';

const TAG = /<lora:([^>]+)>/gi;

export function loraTagNames(text: string): string[] {
  if (!text.includes('<')) return [];
  const names: string[] = [];
  for (const match of text.matchAll(TAG)) {
    const name = match[1]!.replace(/^:+|:+$/g, '').split(':')[0]!.trim();
    if (name === '' || name.includes('\n') || name.includes('://')) continue;
    const file = normalizeName(hasModelExtension(name) ? name : `${name}.safetensors`);
    if (!names.includes(file)) names.push(file);
  }
  return names;
}
