/** Shapes of the files under data/packs/ (see data/packs/README.md). */

/** One file source of a combo input, as scripts/derive_pack_loaders.py reports it. */
export interface DerivedSource {
  via: string;
  /** folder_paths key (`loras`, `xlabs_loras`), when the list comes from folder_paths. */
  folder?: string;
  /** Directory the pack lists itself (`models/insightface`, `pack/luts`). */
  dir?: string;
  /** Text the pack puts before each file name (`bbox/`). */
  prefix?: string;
  /** Set when the listed value is not the file name as is (`.replace()` on it). */
  transformed?: string;
  at?: string;
}

export interface DerivedInput {
  name: string;
  section: 'required' | 'optional';
  kind: 'widget' | 'socket' | 'unknown';
  type?: string;
  files?: { sources: DerivedSource[]; non_file_values?: string[] };
  options?: string[];
  control_after_generate?: boolean;
  image_upload?: boolean;
  force_input?: boolean;
  assumed?: string;
  line?: number;
}

export interface DerivedNode {
  type: string;
  class: string;
  at: string;
  api?: 'v1' | 'v3';
  inputs: DerivedInput[];
  inputs_incomplete?: boolean;
  input_types_at?: string;
  function?: string;
  unconfirmed?: boolean;
  registered_by?: string;
  mapped_in?: string;
}

export interface DerivedFolder {
  key: string;
  path: string | null;
  via: 'add_model_folder_path' | 'folder_names_and_paths';
  at: string;
  extensions?: string[];
}

export interface DerivedDownload {
  call: string;
  at: string;
  nodes: string[];
  [field: string]: unknown;
}

export interface DerivedPack {
  pack: string;
  commit: string;
  nodes: DerivedNode[];
  unresolved_mappings: string[];
  folders: DerivedFolder[];
  downloads: DerivedDownload[];
  problems: string[];
  modules: number;
}

export interface ManifestPack {
  repo: string;
  registry_ids: string[];
  ranks: number[];
  commit: string;
  why: string;
}

/** A hand-read input: what the derivation cannot see, with the reason. */
export interface HandInput {
  folder?: string;
  widget_index?: number;
  non_file_values?: string[];
  /** `lora_tags`: text the pack parses for `<lora:name:…>`. */
  kind?: 'lora_tags';
  /** Drop a derived input: its value is no file the node loads. */
  ignore?: boolean;
}

export interface HandNode {
  pack: string;
  why: string;
  at?: string;
  inputs: Record<string, HandInput>;
}

export interface HandFolder {
  dirs: string[];
  why: string;
  at?: string;
  packs: string[];
}

/** A preset input whose value implies files (`[folder, name]` per model family). */
export interface ImpliedNode {
  pack: string;
  input: string;
  why: string;
  at?: string;
  presets: Record<string, Partial<Record<'sd15' | 'sdxl', [string, string][]>>>;
}

export interface HandData {
  nodes: Record<string, HandNode>;
  folders: Record<string, HandFolder>;
  /** Implied refs: files a node loads without naming them (presets). */
  implied: Record<string, ImpliedNode>;
  /** Frontend-only node types per pack (`_why` says why they are listed). */
  frontend_types: Record<string, string[] | string>;
}

/** A row of the runtime loader table (src/scan/loader-nodes.json, `custom`). */
export interface TableInput {
  folder: string;
  widget_index?: number;
  non_file_values?: string[];
  kind?: 'lora_tags';
}

export interface TableRow {
  pack: string;
  inputs: Record<string, TableInput>;
}

/** Where a table row comes from, kept in data/packs/loader-table.json. */
export interface Provenance {
  pack: string;
  commit: string;
  source: 'derived' | 'hand';
  at?: string;
  why?: string;
  /** Other folders the node also finds the file in (alternatives, first = install target). */
  also?: Record<string, string[]>;
}

/** A folder packs register or read, keyed as the lock keys it. */
export interface PackFolder {
  /** Directories under the models root, first = where download.sh installs. */
  dirs: string[];
  /**
   * `registered`: a folder_paths key (add_model_folder_path or folder_names_and_paths[key]):
   * ComfyUI searches what extra_model_paths.yaml lists for it too, unless the pack replaces the
   * list at import (see `at`); `listed`: the pack lists models_dir/<dir> itself (os.listdir, glob).
   */
  kind: 'registered' | 'listed';
  packs: string[];
  at: string[];
}
