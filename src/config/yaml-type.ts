/**
 * Names a parsed YAML value's type in YAML's own words, for config-file errors. The value itself is
 * never echoed: a config file may hold the secret, and a mis-indented line can put it anywhere.
 * @module
 */

/**
 * `a list`, `a mapping`, `a string`, `a number`, `null`, `nothing` (the key is absent), ….
 * @param value - A value produced by the YAML parser (numbers may arrive as `bigint`).
 */
export function describeYamlType(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'number' && !Number.isFinite(value)) return 'a non-finite number';
  if (typeof value === 'bigint') return 'a number';
  if (typeof value === 'string' && value.trim() === '') return value === '' ? 'an empty string' : 'a blank string';
  return `a ${typeof value}`;
}
