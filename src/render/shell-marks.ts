/**
 * The rule of `visible` (src/core/visible.ts) as data for bash: pairs of (bytes of a character,
 * the mark shown instead), rendered into download.sh and nodes.sh, whose `clean` applies them. The
 * scripts show names on one line, so tab and line feed get their Control Pictures too.
 */
import { invisibleCharacters, markOf } from '../core/visible.js';

export interface ShellMarks {
  /** Lines of `$'\xNN…' 'mark'` pairs for a bash array. */
  pairs: string[];
  /** First bytes of the multibyte characters, for a quick "anything to do?" test. */
  lead: string;
}

const ONE_LINE: Record<string, string> = { '\t': '\u2409', '\n': '\u240a' };
const PAIRS_PER_LINE = 6;

let cached: ShellMarks | undefined;

export function shellMarks(): ShellMarks {
  if (cached) return cached;
  const pairs: string[] = [];
  const lead = new Set<number>();
  // Every character the rule replaces (none is NUL: it cannot be part of a bash string), and
  // those the scripts' one-line names replace too, in code order.
  const chars = [...new Set([...invisibleCharacters(), ...Object.keys(ONE_LINE)])].sort((a, b) => a.charCodeAt(0) - b.charCodeAt(0));
  for (const c of chars) {
    const mark = ONE_LINE[c] ?? markOf(c);
    if (mark === c) continue;
    const bytes = Buffer.from(c, 'utf8');
    if (bytes.length > 1) lead.add(bytes[0]!);
    pairs.push(`${ansiC(bytes)} '${mark}'`);
  }
  const lines: string[] = [];
  for (let i = 0; i < pairs.length; i += PAIRS_PER_LINE) lines.push(pairs.slice(i, i + PAIRS_PER_LINE).join(' '));
  cached = { pairs: lines, lead: ansiC(Buffer.from([...lead].sort((a, b) => a - b))) };
  return cached;
}

/** Bytes as a bash ANSI-C quoted word, every byte escaped: the script stays plain ASCII there. */
function ansiC(bytes: Buffer): string {
  return `$'${[...bytes].map((b) => `\\x${b.toString(16).padStart(2, '0')}`).join('')}'`;
}
