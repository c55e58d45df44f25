/**
 * Finds the suite's TypeScript features (`features/<area>/<name>/feature.ts`) and reads each one's
 * `config.json`, as the suite's Go runner does (`cmd/run_feature.go`, `harness/go/cmd/run.go`).
 */
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';

/** A run variant: the feature runs once per variant, each on a server with its dynamic config. */
export interface RunVariant {
  readonly name: string;
  readonly dynamicConfig?: Readonly<Record<string, unknown>>;
  /** Checked with DescribeNamespace before the run, and given to the feature as `FEATURE_NAMESPACE_CAPABILITIES`. */
  readonly expectNamespaceCapabilities?: Readonly<Record<string, boolean>>;
}

/** The fields of a feature's `config.json` that the TypeScript runs use. */
export interface FeatureConfig {
  readonly runVariants?: readonly RunVariant[];
  /** Tunnels through the runner's HTTP CONNECT proxy, without and with basic auth, that the feature must open. */
  readonly expectUnauthedProxyCount?: number;
  readonly expectAuthedProxyCount?: number;
}

export interface DiscoveredFeature {
  /** Relative to `features/`, with `/` separators: the feature's name everywhere. */
  readonly dir: string;
  readonly config: FeatureConfig;
}

async function walk(absDir: string, root: string, out: string[]): Promise<void> {
  const entries = await readdir(absDir, { withFileTypes: true });
  for (const entry of entries) {
    if (entry.isDirectory()) await walk(path.join(absDir, entry.name), root, out);
    else if (entry.name === 'feature.ts') out.push(path.relative(root, absDir).split(path.sep).join('/'));
  }
}

/** Every directory under `<suite>/features` holding a `feature.ts`, sorted, with its config. */
export async function discoverFeatures(suiteRoot: string): Promise<DiscoveredFeature[]> {
  const root = path.join(suiteRoot, 'features');
  const dirs: string[] = [];
  await walk(root, root, dirs);
  dirs.sort();
  return Promise.all(
    dirs.map(async (dir) => {
      const file = path.join(root, dir, 'config.json');
      const config = existsSync(file) ? (JSON.parse(await readFile(file, 'utf8')) as FeatureConfig) : {};
      return { dir, config };
    }),
  );
}

function globToRegExp(glob: string): RegExp {
  const body = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]');
  return new RegExp(`^${body}$`);
}

/**
 * True when `dir` matches one of `patterns` (all match when there are none). A pattern is matched
 * as the Go runner does (a `filepath.Match` glob on the directory or on `<dir>/feature.ts`, with a
 * leading `features/` dropped); a pattern without `*` or `?` also matches the features below it
 * (`update` selects every `update/*`).
 */
export function matchesPatterns(dir: string, patterns: readonly string[]): boolean {
  if (patterns.length === 0) return true;
  return patterns.some((raw) => {
    const pattern = raw.replace(/^features\//, '').replace(/\/$/, '');
    const re = globToRegExp(pattern);
    if (re.test(dir) || re.test(`${dir}/feature.ts`)) return true;
    return !/[*?]/.test(pattern) && dir.startsWith(`${pattern}/`);
  });
}

/**
 * True when the feature's code creates its own `@temporalio/worker` Worker: whatever worker the
 * runner passes, such a feature exercises the official one, so it says nothing about ours.
 */
export function createsOwnOfficialWorker(featureSource: string): boolean {
  return /\bWorker\.create\(/.test(featureSource);
}
