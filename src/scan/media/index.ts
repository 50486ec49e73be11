/** One entry point per container, and the choice of which embedded graph to read. */
import type { ContentKind } from '../sniff.js';
import { readFlac } from './flac.js';
import { readMp4 } from './mp4.js';
import { readPng } from './png.js';
import type { MediaMetadata, MetadataEntry, Parser } from './reader.js';
import { readWebp } from './webp.js';

export type MediaKind = Exclude<ContentKind, 'json' | 'unknown'>;

export function mediaParser(kind: MediaKind, size: number): Parser<MediaMetadata> {
  switch (kind) {
    case 'png': return readPng(size);
    case 'webp': return readWebp(size);
    case 'flac': return readFlac(size);
    case 'mp4': return readMp4(size);
  }
}

/**
 * The embedded texts worth trying, best first: `workflow` (the UI graph, which keeps muted nodes,
 * subgraphs and model URLs), then `prompt` (the API graph). Keys compare case-insensitively; a
 * text given twice (EXIF tags may share their bytes) is tried once.
 */
export function graphCandidates(entries: readonly MetadataEntry[]): MetadataEntry[] {
  const seen = new Set<string>();
  const byKey = (name: string) => entries.filter((e) => e.key.trim().toLowerCase() === name && !seen.has(e.value) && seen.add(e.value));
  return [...byKey('workflow'), ...byKey('prompt')];
}

/** True when the metadata looks like A1111/Forge generation parameters rather than ComfyUI's. */
export function hasA1111Parameters(entries: readonly MetadataEntry[]): boolean {
  return entries.some((e) => e.key.toLowerCase() === 'parameters');
}
