/**
 * Positions in a UI node's `widgets_values`, from the inputs in INPUT_TYPES order (required,
 * then optional; hidden ones never show), as the frontend builds the widgets:
 * - sockets (MODEL, IMAGE, forceInput primitives) hold no value;
 * - every widget holds one; an INT named `seed`/`noise_seed` (or any widget that sets
 *   `control_after_generate`) is followed by the control value (`fixed`, `randomize`, …):
 *   `control_after_generate ?? ['seed', 'noise_seed'].includes(name)` in the frontend's
 *   useIntWidget; `image_upload` adds the upload widget's value.
 * After an input the derivation could not type, positions are unknown (null).
 */
import type { DerivedInput } from './types.js';

export function widgetIndexes(inputs: readonly DerivedInput[]): Map<string, number | null> {
  const out = new Map<string, number | null>();
  let index: number | null = 0;
  for (const input of inputs) {
    const isWidget = input.kind === 'widget' || (input.kind === 'unknown' && input.files !== undefined);
    if (input.kind === 'unknown' && input.files === undefined) {
      index = null;
      continue;
    }
    if (!isWidget) continue;
    out.set(input.name, index);
    if (index === null) continue;
    index += 1;
    if (input.control_after_generate ?? (input.type === 'INT' && (input.name === 'seed' || input.name === 'noise_seed'))) index += 1;
    if (input.image_upload) index += 1;
  }
  return out;
}
