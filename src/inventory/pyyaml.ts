/**
 * Parse YAML the way ComfyUI's `yaml.safe_load` (PyYAML, YAML 1.1) does, so a value that crashes
 * ComfyUI is recognised as such and a value that works is never rejected. The `yaml` package's
 * own 1.1 schema differs from PyYAML on plain scalars that look like paths: it reads `.` as NaN,
 * `y`/`n` as booleans and `1e3` as a number, where PyYAML keeps all three strings. The regular
 * expressions below are PyYAML's implicit resolvers (resolver.py); only the type matters here.
 */
import { createRequire } from 'node:module';
import type { ScalarTag, Tags } from 'yaml';

/** Loaded on the first parse: a build whose values need none never loads it (~40 ms). */
const loadYaml = () => createRequire(import.meta.url)('yaml') as typeof import('yaml');

const BOOL_TRUE = /^(?:yes|Yes|YES|true|True|TRUE|on|On|ON)$/;
const BOOL_FALSE = /^(?:no|No|NO|false|False|FALSE|off|Off|OFF)$/;
const INT =
  /^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$/;
const FLOAT =
  /^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$/;

/** Base-60 numbers (`1:30`) are YAML 1.1 too. */
function sexagesimal(body: string): number {
  return body.split(':').reduce((acc, part) => acc * 60 + Number(part), 0);
}

function toInt(src: string): number {
  const sign = src.startsWith('-') ? -1 : 1;
  const body = src.replace(/^[-+]/, '').replace(/_/g, '');
  if (body.includes(':')) return sign * sexagesimal(body);
  if (body.startsWith('0b')) return sign * parseInt(body.slice(2), 2);
  if (body.startsWith('0x')) return sign * parseInt(body.slice(2), 16);
  if (body.length > 1 && body.startsWith('0')) return sign * parseInt(body, 8);
  return sign * Number(body);
}

function toFloat(src: string): number {
  const lower = src.toLowerCase();
  if (lower.endsWith('.nan')) return Number.NaN;
  if (lower.endsWith('.inf')) return src.startsWith('-') ? -Infinity : Infinity;
  const sign = src.startsWith('-') ? -1 : 1;
  const body = src.replace(/^[-+]/, '').replace(/_/g, '');
  if (body.includes(':')) return sign * sexagesimal(body);
  return sign * Number(body);
}

function scalar(kind: 'bool' | 'int' | 'float', test: RegExp, resolve: (src: string) => unknown): ScalarTag {
  return {
    tag: `tag:yaml.org,2002:${kind}`,
    default: true,
    test,
    resolve: (src: string) => resolve(src) as never,
    identify: () => false,
  };
}

const PYYAML_SCALARS: ScalarTag[] = [
  scalar('bool', BOOL_TRUE, () => true),
  scalar('bool', BOOL_FALSE, () => false),
  scalar('int', INT, toInt),
  scalar('float', FLOAT, toFloat),
];

const REPLACED = new Set(['tag:yaml.org,2002:bool', 'tag:yaml.org,2002:int', 'tag:yaml.org,2002:float']);

function pyyamlTags(tags: Tags): Tags {
  return [...tags.filter((t) => !(typeof t === 'object' && REPLACED.has(t.tag))), ...PYYAML_SCALARS];
}

export type PyYamlResult = { ok: true; value: unknown } | { ok: false; error: string };

/** `yaml.safe_load(text)`: one document, duplicate keys allowed (the last wins, as in PyYAML). */
export function pyyamlSafeLoad(text: string): PyYamlResult {
  try {
    const value: unknown = loadYaml().parse(text, { version: '1.1', customTags: pyyamlTags, uniqueKeys: false });
    return { ok: true, value: value ?? null };
  } catch (error) {
    return { ok: false, error: (error as Error).message.split('\n')[0] ?? String(error) };
  }
}

/** Python truthiness of a loaded YAML value (`is_default: "false"` is true, as in ComfyUI). */
export function pyTruthy(value: unknown): boolean {
  if (value === null || value === undefined || value === false || value === 0 || value === '') return false;
  if (typeof value === 'number' && Number.isNaN(value)) return true;
  if (Array.isArray(value)) return value.length > 0;
  if (value instanceof Map || value instanceof Set) return value.size > 0;
  if (typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) return Object.keys(value).length > 0;
  return true;
}

/** The Python type name ComfyUI's traceback would show, for diagnostics. */
export function pyTypeName(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'boolean') return 'boolean';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  if (typeof value === 'string') return 'string';
  if (Array.isArray(value)) return 'list';
  if (value instanceof Date) return 'date';
  if (typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) return 'mapping';
  return 'object';
}
