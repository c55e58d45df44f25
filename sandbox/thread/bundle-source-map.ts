/**
 * A bundle's source map, read inside a sandbox thread: maps positions in the bundle back to the
 * user's files for stack trace queries, and offers the workflow library the `sources` /
 * `sourcesContent` it reads for `__enhanced_stack_trace` with `showStackTraceSources`.
 *
 * esbuild writes source paths relative to the directory the bundle was built in (the map's
 * `sourceRoot` when the bundler records it); they are resolved to absolute paths, as the
 * official worker reports them. Parsing is deferred to the first stack trace that needs it.
 */
import { readFileSync } from 'node:fs';
import { SourceMap, type SourceMapPayload } from 'node:module';
import path from 'node:path';

/** An original position, 1-based like the official worker's stack traces. */
export interface OriginalPosition {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly name?: string;
}

/** What the workflow library reads from `initRuntime`'s `sourceMap` (`sources.indexOf(file)` → `sourcesContent[i]`). */
export interface QuerySourceMap {
  readonly sources: readonly string[];
  readonly sourcesContent: readonly (string | undefined)[];
}

interface IndexMap {
  readonly sourceRoot?: string;
  readonly sources?: readonly string[];
  readonly sections?: readonly { readonly map: { readonly sourceRoot?: string; readonly sources?: readonly string[] } }[];
}

export class BundleSourceMap {
  readonly #json: string;
  #parsed?: { map: SourceMap; root: string; sources: string[] } | null;
  #forQueries?: QuerySourceMap;

  constructor(json: string) {
    this.#json = json;
  }

  /** The original position of a 1-based bundle position, if the map covers it. */
  locate(line: number, column: number): OriginalPosition | undefined {
    const parsed = this.#parse();
    if (parsed === null) return undefined;
    const entry = parsed.map.findEntry(line - 1, column - 1) as Partial<{ originalSource: string; originalLine: number; originalColumn: number; name: string }>;
    if (entry.originalSource === undefined || entry.originalLine === undefined || entry.originalColumn === undefined) return undefined;
    return { file: path.resolve(parsed.root, entry.originalSource), line: entry.originalLine + 1, column: entry.originalColumn + 1, name: entry.name || undefined };
  }

  /**
   * Every source as an absolute path, its content read from disk when first asked for. Nothing
   * is parsed or read until a query looks: the map lists every file bundled, a query names a few.
   */
  forQueries(): QuerySourceMap {
    if (this.#forQueries !== undefined) return this.#forQueries;
    const sources = () => this.#parse()?.sources ?? [];
    const contents = new Map<number, string | undefined>();
    const read = (index: number): string | undefined => {
      if (!contents.has(index)) {
        let content: string | undefined;
        try {
          content = readFileSync(sources()[index]!, 'utf8');
        } catch {
          content = undefined; // a virtual module, or a file gone since bundling
        }
        contents.set(index, content);
      }
      return contents.get(index);
    };
    const sourcesContent = new Proxy([] as (string | undefined)[], {
      get: (target, key) => (typeof key === 'string' && /^\d+$/.test(key) ? read(Number(key)) : Reflect.get(target, key)),
    });
    this.#forQueries = {
      get sources() {
        return sources();
      },
      sourcesContent,
    };
    return this.#forQueries;
  }

  #parse(): { map: SourceMap; root: string; sources: string[] } | null {
    if (this.#parsed !== undefined) return this.#parsed;
    try {
      const raw = JSON.parse(this.#json) as IndexMap;
      const root = raw.sourceRoot ?? raw.sections?.[0]?.map.sourceRoot ?? process.cwd();
      const listed = raw.sections ? raw.sections.flatMap((s) => s.map.sources ?? []) : (raw.sources ?? []);
      this.#parsed = { map: new SourceMap(raw as SourceMapPayload), root, sources: listed.map((s) => path.resolve(root, s)) };
    } catch {
      this.#parsed = null;
    }
    return this.#parsed;
  }
}
