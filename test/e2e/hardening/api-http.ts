/**
 * Raw HTTP for the hardening tests: node:http, so a test can send any Host, Origin, content type
 * or half a body, which fetch does not allow. Every request has a deadline; a missed one is a hang.
 */
import { request } from 'node:http';
import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { serveControlApi, type ServedControlApi } from '../../../control-api/serve.js';
import type { Runtime } from '../../../core/runtime/runtime.js';
import type { RuntimeInput } from '../../../core/runtime/runtime-options.js';
import { testRuntime } from '../../helpers/runtime.js';

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  /** The body as JSON, or undefined when it is not JSON. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  json: any;
}

export interface RawRequest {
  method?: string;
  path: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** @default 5000 */
  timeoutMs?: number;
}

/** Thrown when the server did not answer within the deadline. */
export class HangError extends Error {}

/** Sends one request to 127.0.0.1:`port` exactly as given (Host included: `setHost: false`). */
export function rawRequest(port: number, req: RawRequest): Promise<RawResponse> {
  const headers = { host: `127.0.0.1:${port}`, ...req.headers };
  return new Promise((resolve, reject) => {
    const r = request({ host: '127.0.0.1', port, method: req.method ?? 'GET', path: req.path, headers, setHost: false, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        clearTimeout(timer);
        const text = Buffer.concat(chunks).toString('utf8');
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
      });
      res.on('error', reject);
    });
    const timer = setTimeout(() => {
      r.destroy();
      reject(new HangError(`${req.method ?? 'GET'} ${req.path}: no answer within ${req.timeoutMs ?? 5_000} ms`));
    }, req.timeoutMs ?? 5_000);
    r.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    r.end(req.body);
  });
}

/**
 * A folder for hostile modules and the marker files they would write if they ever ran: `module()`
 * writes an ES module that creates `markers/<name>` at its top level; `ran()` lists the markers.
 */
export function markerKit(): { dir: string; markers: string; module(name: string, where?: string): string; dataUrl(name: string): string; ran(): string[] } {
  const dir = mkdtempSync(path.join(tmpdir(), 'tempo-hostile-'));
  const markers = path.join(dir, 'markers');
  mkdirSync(markers);
  const body = (name: string) => `import { writeFileSync } from 'node:fs'; writeFileSync(${JSON.stringify(path.join(markers, name))}, 'ran');`;
  return {
    dir,
    markers,
    module(name, where = dir) {
      mkdirSync(where, { recursive: true });
      const file = path.join(where, `${name}.mjs`);
      writeFileSync(file, `${body(name)}\nexport default {};\n`);
      return file;
    },
    dataUrl: (name) => `data:text/javascript,${encodeURIComponent(body(name))}`,
    ran: () => readdirSync(markers),
  };
}

/** A test runtime served over real HTTP for one test file, opened before its tests and closed after. */
export function useServedRuntime(input: () => RuntimeInput, tokenDir: string): { readonly runtime: Runtime; readonly api: ServedControlApi } {
  const ctx = {} as { runtime: Runtime; api: ServedControlApi };
  beforeAll(async () => {
    ctx.runtime = await testRuntime(input());
    ctx.api = await serveControlApi(ctx.runtime, { port: 0, tokenDir });
  });
  afterAll(async () => {
    await ctx.api?.close();
    await ctx.runtime?.shutdown({ graceMs: 0 });
  });
  return ctx;
}

/** A POST with the token and a JSON body. */
export const postJson = (api: ServedControlApi, route: string, body: unknown, headers: Record<string, string> = {}) =>
  rawRequest(api.port, { method: 'POST', path: route, headers: { authorization: `Bearer ${api.token}`, 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
