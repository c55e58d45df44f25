/**
 * The suite's dev-server dynamic config: `dockerfiles/dynamicconfig/docker.yaml` plus a run
 * variant's overrides, as the suite's Go runner (`cmd/run.go`, `dynamicConfigArgs`) combines them.
 *
 * Only the subset of YAML that file uses is read (a key, then `- value: X` and an empty
 * `constraints: {}`); anything else throws, so a change in the suite is noticed instead of being
 * half-read. Our dev server takes one value per key, so constrained or repeated values are refused.
 */

export type DynamicConfigValue = string | number | boolean;
export type DynamicConfig = Record<string, DynamicConfigValue>;

function scalar(text: string, line: number): DynamicConfigValue {
  const t = text.trim();
  if (t === 'true') return true;
  if (t === 'false') return false;
  if (/^-?\d+(\.\d+)?$/.test(t)) return Number(t);
  const quoted = /^(["'])(.*)\1$/.exec(t);
  if (quoted) return quoted[2];
  if (t === '' || /^[[{]/.test(t)) throw new Error(`dynamic config line ${line}: unsupported value ${JSON.stringify(t)}`);
  return t;
}

/** Parses the suite's docker.yaml into one value per key. */
export function parseDynamicConfigYaml(text: string): DynamicConfig {
  const out: DynamicConfig = {};
  let key: string | undefined;
  let values = 0;
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = i + 1;
    const content = raw.replace(/\s+#.*$/, '').replace(/^#.*$/, '');
    if (content.trim() === '') return;
    const top = /^([A-Za-z0-9_.-]+):\s*$/.exec(content);
    if (top) {
      key = top[1];
      values = 0;
      return;
    }
    if (key === undefined) throw new Error(`dynamic config line ${line}: a value before any key`);
    const value = /^\s+-\s+value:\s*(.*)$/.exec(content);
    if (value) {
      values += 1;
      if (values > 1) throw new Error(`dynamic config line ${line}: ${key} has more than one value; the dev server takes one`);
      out[key] = scalar(value[1], line);
      return;
    }
    const constraints = /^\s+constraints:\s*(.*)$/.exec(content);
    if (constraints) {
      if (constraints[1].trim() !== '{}') throw new Error(`dynamic config line ${line}: ${key} has constraints; the dev server takes none`);
      return;
    }
    throw new Error(`dynamic config line ${line}: cannot read ${JSON.stringify(raw)}`);
  });
  return out;
}

/** The base config with a variant's overrides on top (an override replaces the key's value). */
export function withOverrides(base: DynamicConfig, overrides: Readonly<Record<string, unknown>> = {}): DynamicConfig {
  const out: DynamicConfig = { ...base };
  for (const [key, value] of Object.entries(overrides)) {
    if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
      throw new Error(`dynamic config override ${key}: only strings, numbers and booleans are supported, got ${JSON.stringify(value)}`);
    }
    out[key] = value;
  }
  return out;
}
