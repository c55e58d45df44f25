#!/usr/bin/env node
/**
 * `tsx cli/replay.ts --workflows <path> <history.json>...`: checks workflow code against recorded
 * histories before a deploy. Prints one line per file, OK or the first nondeterminism (with its
 * event id), and exits 1 if any file fails, 2 on a usage error. Meant for CI: record histories of
 * production runs (`temporal workflow show -w ID --output json > h.json`), replay them on each change.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { RuntimeError } from '../core/errors.js';
import { HistoryParseError, Replayer, type ReplayResult } from '../core/replay/index.js';

const USAGE = `Usage: tempo-worker replay --workflows PATH [--interceptors MODULE]... HISTORY.json...

  --workflows PATH        workflow module, or directory whose index exports the workflows
  --interceptors MODULE   workflow interceptor module, as given to the worker (repeatable)

  HISTORY.json: proto3 JSON (temporal workflow show --output json, the Web UI's download)
  or the older tctl style. Exit code: 0 all replayed, 1 some failed, 2 usage error.`;

type Line = { ok: true; text: string } | { ok: false; text: string };

function describe(file: string, result: ReplayResult): Line {
  const who = `${result.workflowType} ${result.workflowId}/${result.runId}`;
  if (result.ok) return { ok: true, text: `OK    ${file} (${who})` };
  return { ok: false, text: `FAIL  ${file} (${who})\n      ${result.error.code}: ${result.error.message}` };
}

async function replayFile(replayer: Replayer, file: string): Promise<Line> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    return { ok: false, text: `FAIL  ${file}\n      cannot read: ${(err as Error).message}` };
  }
  try {
    return describe(file, await replayer.replay(text));
  } catch (err) {
    // A file that is not a history fails on its own; the other files are still replayed.
    if (err instanceof HistoryParseError) return { ok: false, text: `FAIL  ${file}\n      ${err.code}: ${err.message}` };
    throw err;
  }
}

/** `tempo-worker replay …` (and `npm run replay -- …`): exits 0 when every history replays, 1 when one does not, 2 when none could be tried. */
export async function replayMain(args: string[]): Promise<number> {
  let values: { workflows?: string; interceptors?: string[]; help?: boolean };
  let files: string[];
  try {
    const parsed = parseArgs({
      args,
      allowPositionals: true,
      options: {
        workflows: { type: 'string' },
        interceptors: { type: 'string', multiple: true },
        help: { type: 'boolean', short: 'h' },
      },
    });
    values = parsed.values;
    files = parsed.positionals;
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n\n${USAGE}\n`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (!values.workflows || files.length === 0) {
    process.stderr.write(`${!values.workflows ? '--workflows is required' : 'no history file given'}\n\n${USAGE}\n`);
    return 2;
  }
  const replayer = await Replayer.create({ workflowsPath: values.workflows, workflowInterceptorModules: values.interceptors });
  let failed = 0;
  try {
    for (const file of files) {
      const line = await replayFile(replayer, file);
      if (!line.ok) failed++;
      process.stdout.write(`${line.text}\n`);
    }
  } finally {
    await replayer.close();
  }
  process.stdout.write(`${files.length - failed} of ${files.length} histories replayed cleanly\n`);
  return failed > 0 ? 1 : 0;
}

/** Runs {@link replayMain} and sets the exit code; bundling errors and the like mean nothing could be replayed. */
export function runReplayCli(args: string[]): Promise<void> {
  return replayMain(args).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`${err instanceof RuntimeError ? `${err.code}: ` : ''}${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 2;
    },
  );
}

// Run directly (`npm run replay`), not when `tempo-worker replay` imports it.
if (process.argv[1] && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href) void runReplayCli(process.argv.slice(2));
