/**
 * The main thread's subset of `@temporalio/proto` (core/connection/proto.ts): current with the
 * installed package, holding every method the runtime calls and every name its code reads, with
 * the package's own descriptors (so the same codecs), and a Root of its own.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import full from '@temporalio/proto';
import protobuf from 'protobufjs/light.js';
import { describe, expect, it } from 'vitest';
import * as subset from '../../../core/connection/proto.js';
import { CALLED_METHODS, methodMessages } from '../../../core/connection/proto-subset-roots.js';
import { protoSubsetDataSource } from '../../../core/connection/proto-subset-source.js';
import { repoRoot } from '../../helpers/runtime.js';

interface Reflected {
  readonly fullName: string;
  readonly nestedArray?: readonly Reflected[];
  readonly fieldsArray?: readonly unknown[];
  readonly values?: Record<string, number>;
  toJSON(): unknown;
}
interface Codec {
  fromObject(o: object): object;
  encode(m: object): { finish(): Uint8Array };
  decode(b: Uint8Array): object;
  toObject(m: object, o?: object): object;
}
const root = subset.protoRoot as unknown as { lookup(name: string): Reflected | null; nestedArray: readonly Reflected[] };
const fullRoot = full as unknown as { lookup(name: string): Reflected | null };

/** The runtime's main-thread sources (the sandbox thread has its own subset). */
function mainThreadSources(): string[] {
  const files: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const p = path.join(dir, name);
      if (statSync(p).isDirectory()) {
        if (p !== path.join(repoRoot, 'sandbox', 'thread')) walk(p);
      } else if (p.endsWith('.ts') && !p.endsWith('.d.ts')) files.push(p);
    }
  };
  for (const dir of ['core', 'sandbox', 'cli', 'compat', 'control-api', 'plugins']) walk(path.join(repoRoot, dir));
  return [...files, path.join(repoRoot, 'index.ts')];
}

/**
 * `temporal.api.x.v1.Name…` references, destructured names and aliased namespaces' members.
 * Type aliases (`type X = temporal…`) are types only and left out.
 */
function namesReadIn(text: string): Set<string> {
  const source = text
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/^\s*\/\/.*$/gm, '')
    .replace(/^\s*(?:export )?type \w+(?:<[^>]*>)? = [^;]*;/gm, '');
  const names = new Set<string>();
  // Not inside a string such as a gRPC path ('/temporal.api.workflowservice.v1.WorkflowService/').
  const ns = String.raw`(?<![/'"])((?:temporal|coresdk|google)(?:\.[a-z_0-9]+)+)`;
  for (const m of source.matchAll(new RegExp(String.raw`\b${ns}((?:\.[A-Z]\w*)+)`, 'g'))) names.add(m[1]! + m[2]!);
  for (const m of source.matchAll(new RegExp(String.raw`const \{([^}]+)\} = (?:proto\.)?${ns};`, 'g'))) {
    for (const member of m[1]!.split(',')) names.add(`${m[2]}.${member.split(':')[0]!.trim()}`);
  }
  for (const m of source.matchAll(new RegExp(String.raw`const (\w+) = (?:proto\.)?${ns};`, 'g'))) {
    for (const use of source.matchAll(new RegExp(String.raw`\b${m[1]}\.([A-Z]\w*)`, 'g'))) names.add(`${m[2]}.${use[1]}`);
  }
  return names;
}

/** Every type and enum in a namespace tree. */
function typesUnder(ns: { nestedArray?: readonly Reflected[] }): Reflected[] {
  return (ns.nestedArray ?? []).flatMap((r) => [...(r.fieldsArray || r.values ? [r] : []), ...typesUnder(r)]);
}

describe('the main-thread subset of @temporalio/proto', () => {
  it('is what scripts/gen-proto-subset.mts makes from the installed package (run it after a change)', () => {
    expect(readFileSync(path.join(repoRoot, 'core/connection/proto-subset-data.ts'), 'utf8')).toBe(protoSubsetDataSource());
  });

  it('holds the messages of every WorkflowService method core calls, each a real method', () => {
    const service = fullRoot.lookup('temporal.api.workflowservice.v1.WorkflowService') as unknown as { methods: Record<string, unknown> };
    const called = new Set<string>();
    for (const file of mainThreadSources()) for (const m of readFileSync(file, 'utf8').matchAll(/\.call(?:<[^>]*>)?\(\s*'([a-zA-Z]+)'/g)) called.add(m[1]!);
    expect(called.size).toBeGreaterThan(5);
    for (const method of called) expect(CALLED_METHODS, `${method} is called but not in CALLED_METHODS`).toContain(method);
    for (const method of CALLED_METHODS) {
      expect(service.methods[method[0]!.toUpperCase() + method.slice(1)], method).toBeDefined();
      for (const message of methodMessages(method)) expect(root.lookup(message)?.fullName, message).toBe(`.${message}`);
    }
  });

  it('holds every type, enum and enum value the runtime names', () => {
    const values = { temporal: subset.temporal, coresdk: subset.coresdk, google: subset.google } as Record<string, unknown>;
    let checked = 0;
    for (const file of mainThreadSources()) {
      for (const name of namesReadIn(readFileSync(file, 'utf8'))) {
        const parts = name.split('.');
        // `IFoo` interfaces are types only; their class is what exists at run time.
        if (/^I[A-Z]/.test(parts.at(-1)!) && fullRoot.lookup(name.replace(/\.I([A-Z]\w*)$/, '.$1'))) continue;
        let value: unknown = values;
        for (const part of parts) value = (value as Record<string, unknown> | undefined)?.[part];
        expect(value, `${name} (read in ${path.relative(repoRoot, file)}) is not in the subset: add it to proto-subset-roots.ts`).toBeDefined();
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(30);
  });

  it("has the package's own descriptor for each of its types, so the same codecs", () => {
    const types = typesUnder(root);
    expect(types.length).toBeGreaterThan(100);
    for (const t of types) expect(t.toJSON(), t.fullName).toEqual(fullRoot.lookup(t.fullName)!.toJSON());
  });

  it('encodes and decodes sample messages byte for byte as the full package does, with codecs generated on first use', () => {
    const samples: Array<[string, object]> = [
      // First: a packed repeated field of its own shows whether the first codec generated saw the features.
      ['temporal.api.sdk.v1.WorkflowTaskCompletedMetadata', { coreUsedFlags: [1, 2], langUsedFlags: [3], sdkName: 'x' }],
      [
        'temporal.api.workflowservice.v1.RespondWorkflowTaskCompletedRequest',
        {
          taskToken: Buffer.from('tok'),
          commands: [{ commandType: 10, scheduleActivityTaskCommandAttributes: { activityId: '1', activityType: { name: 'a' }, taskQueue: { name: 'q' }, retryPolicy: { maximumAttempts: 3 } } }, { commandType: 4, failWorkflowExecutionCommandAttributes: { failure: { message: 'no', applicationFailureInfo: { type: 'E' } } } }],
          sdkMetadata: { langUsedFlags: [1, 2], sdkName: 'x' },
          stickyAttributes: { workerTaskQueue: { name: 's', kind: 2 }, scheduleToStartTimeout: { seconds: 10 } },
        },
      ],
      ['temporal.api.workflowservice.v1.DescribeNamespaceResponse', { namespaceInfo: { name: 'default', state: 1, capabilities: { eagerWorkflowStart: true, workerPollCompleteOnShutdown: true } } }],
      [
        'temporal.api.workflowservice.v1.PollWorkflowTaskQueueResponse',
        {
          taskToken: Buffer.from('tok'),
          workflowExecution: { workflowId: 'w', runId: 'r' },
          history: {
            events: [
              { eventId: 1, eventType: 1, eventTime: { seconds: 5, nanos: 1 }, workflowExecutionStartedEventAttributes: { workflowType: { name: 'wf' }, input: { payloads: [{ metadata: { encoding: Buffer.from('json/plain') }, data: Buffer.from('1') }] } } },
              { eventId: 2, eventType: 5, workflowTaskScheduledEventAttributes: { taskQueue: { name: 'q', kind: 1 }, startToCloseTimeout: { seconds: 10 } } },
            ],
          },
          messages: [{ id: 'm', protocolInstanceId: 'u', body: { typeUrl: 'type.googleapis.com/temporal.api.update.v1.Request', value: Buffer.from([1, 2]) } }],
          queries: { q1: { queryType: '__stack_trace' } },
        },
      ],
      ['temporal.api.workflowservice.v1.PollActivityTaskQueueResponse', { taskToken: Buffer.from('t'), activityId: '1', activityType: { name: 'a' }, attempt: 2, heartbeatDetails: { payloads: [{ data: Buffer.from('x') }] }, scheduledTime: { seconds: 1 } }],
      ['coresdk.workflow_activation.WorkflowActivation', { runId: 'r', jobs: [{ resolveActivity: { seq: 1, result: { completed: { result: { data: Buffer.from('1') } } } } }, { fireTimer: { seq: 2 } }] }],
    ];
    for (const [name, object] of samples) {
      const ours = root.lookup(name) as unknown as Codec;
      const theirs = fullRoot.lookup(name) as unknown as Codec;
      const bytes = theirs.encode(theirs.fromObject(object)).finish();
      // Not set up yet: these calls generate the lazy encode and decode (proto-lazy-codecs.ts).
      expect([ours.encode.name, ours.decode.name, ours.fromObject.name], name).toEqual(['encodeOnFirstUse', 'decodeOnFirstUse', 'fromObjectOnFirstUse']);
      // Encoding first: the first codec generated must see the root's features (packed repeated fields).
      expect(Buffer.from(ours.encode(object).finish()), name).toEqual(Buffer.from(bytes));
      const decoded = ours.decode(bytes);
      expect(Buffer.from(ours.encode(ours.fromObject(object)).finish()), name).toEqual(Buffer.from(bytes));
      expect(ours.toObject(decoded, { longs: String }), name).toEqual(theirs.toObject(theirs.decode(bytes), { longs: String }));
    }
  });

  it("is a Root of its own: the package's registered root is still the full one", () => {
    expect(protobuf.roots.__temporal).toBeDefined();
    expect(protobuf.roots.__temporal).not.toBe(subset.protoRoot);
    expect(protobuf.roots.__temporal!.lookup('temporal.api.workflowservice.v1.CreateScheduleRequest')).not.toBeNull();
    expect(root.lookup('temporal.api.workflowservice.v1.CreateScheduleRequest')).toBeNull();
  });
});
