/** A local tree of model folders, as comfygen walks it. */
export interface ModelRoot {
  /** As configured (`~`, `$VAR` kept): copied to `LocalFile.root` and shown in reports. */
  label: string;
  /** A `models.roots` entry (ComfyUI models layout) or an imported extra_model_paths.yaml. */
  kind: 'root' | 'extra-model-paths';
  /** Absolute, expanded: the root directory or the yaml file. */
  path: string;
  /** Canonical folder key → absolute directories, in ComfyUI's search order. */
  folders: Record<string, string[]>;
}
