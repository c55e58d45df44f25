/**
 * History JSON → `temporal.api.history.v1.History`.
 *
 * Hand-written rather than `historyFromJSON` from `@temporalio/common/lib/proto-utils`: in this
 * install that function fails with "type must be a Type", because `@temporalio/common` and
 * `@temporalio/proto` each bring their own protobufjs copy and the protojson extension of one
 * rejects the reflection types of the other. So we walk the message with the reflection of the
 * `@temporalio/proto` root itself and fix what protobufjs's own `fromObject` does not accept:
 *
 * - enum values written without their prefix or in PascalCase, as tctl and older UI exports do
 *   (`"eventType": "WorkflowExecutionStarted"`, `"kind": "Normal"`);
 * - proto3 JSON's string forms of `google.protobuf.Timestamp` (`"2026-11-24T15:56:00.36Z"`) and
 *   `google.protobuf.Duration` (`"10s"`), which `temporal workflow show --output json` prints.
 *
 * Everything else (int64 as strings, bytes as base64) `fromObject` already understands. Unknown
 * fields are dropped and unknown enum names become 0, as the official parser does with
 * `ignoreUnknownFields`, so a history from a newer server still loads.
 */
import * as proto from '../connection/proto.js';
import { HistoryParseError } from './errors.js';

type IHistory = proto.temporal.api.history.v1.IHistory;

/** The parts of protobufjs reflection this file reads (the package is not a direct dependency). */
interface ReflectEnum {
  readonly values: Readonly<Record<string, number>>;
}
interface ReflectField {
  readonly name: string;
  readonly repeated: boolean;
  readonly map: boolean;
  readonly resolvedType: ReflectType | ReflectEnum | null;
  resolve(): ReflectField;
}
interface ReflectType {
  readonly fullName: string;
  readonly fieldsArray: readonly ReflectField[];
}
interface ReflectRoot {
  lookupType(path: string): ReflectType;
}

const root = proto.protoRoot as ReflectRoot;
const HISTORY = root.lookupType('temporal.api.history.v1.History');
const TIMESTAMP = '.google.protobuf.Timestamp';
const DURATION = '.google.protobuf.Duration';

/** Per enum: accepted spelling → canonical name, built on first use. */
const enumAliases = new WeakMap<ReflectEnum, Map<string, string>>();

function isEnum(t: ReflectType | ReflectEnum): t is ReflectEnum {
  return 'values' in t && !('fieldsArray' in t);
}

/** `WorkflowExecutionStarted` or `workflow_execution_started` → `WORKFLOW_EXECUTION_STARTED`. */
function screamingSnake(s: string): string {
  return s
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2')
    .toUpperCase();
}

function aliasesOf(e: ReflectEnum): Map<string, string> {
  let aliases = enumAliases.get(e);
  if (aliases) return aliases;
  aliases = new Map();
  const names = Object.keys(e.values);
  // Temporal enums prefix every value with the enum's name: EVENT_TYPE_UNSPECIFIED, EVENT_TYPE_...
  const prefix = names.find((n) => n.endsWith('_UNSPECIFIED'))?.slice(0, -'UNSPECIFIED'.length) ?? '';
  for (const name of names) {
    aliases.set(name, name);
    if (prefix && name.startsWith(prefix)) aliases.set(name.slice(prefix.length), name);
  }
  enumAliases.set(e, aliases);
  return aliases;
}

function normalizeEnum(e: ReflectEnum, value: unknown): unknown {
  if (typeof value !== 'string') return value;
  const aliases = aliasesOf(e);
  return aliases.get(value) ?? aliases.get(screamingSnake(value)) ?? 0;
}

const RFC3339 = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/i;

function parseTimestamp(s: string, where: string): { seconds: string; nanos: number } {
  const m = RFC3339.exec(s);
  const ms = m ? Date.parse(`${m[1]}${m[3]}`) : NaN;
  if (!m || Number.isNaN(ms)) throw new HistoryParseError(`${where}: '${s}' is not an RFC 3339 timestamp.`);
  return { seconds: String(Math.floor(ms / 1000)), nanos: Number((m[2] ?? '').padEnd(9, '0')) };
}

function parseDuration(s: string, where: string): { seconds: string; nanos: number } {
  const m = /^(-)?(\d+)(?:\.(\d{1,9}))?s$/.exec(s);
  if (!m) throw new HistoryParseError(`${where}: '${s}' is not a duration such as '10s' or '0.5s'.`);
  const sign = m[1] ? -1 : 1;
  const nanos = Number((m[3] ?? '').padEnd(9, '0'));
  return { seconds: `${m[1] ?? ''}${m[2]}`, nanos: nanos === 0 ? 0 : sign * nanos };
}

function normalizeValue(field: ReflectField, value: unknown, where: string): unknown {
  const t = field.resolvedType;
  if (t === null || value === null || value === undefined) return value;
  if (isEnum(t)) return normalizeEnum(t, value);
  if (typeof value === 'string' && t.fullName === TIMESTAMP) return parseTimestamp(value, where);
  if (typeof value === 'string' && t.fullName === DURATION) return parseDuration(value, where);
  return normalizeMessage(t, value, where);
}

/** camelCase field name as protobufjs has it → the snake_case name of the .proto file. */
function snakeName(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

function normalizeMessage(type: ReflectType, value: unknown, where: string): unknown {
  // Bytes, Longs and anything that is not a plain object are left to fromObject.
  if (typeof value !== 'object' || value === null || ArrayBuffer.isView(value) || Array.isArray(value)) return value;
  const obj = value as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const field of type.fieldsArray) {
    field.resolve();
    // proto3 JSON parsers also accept the .proto (snake_case) names.
    const raw = field.name in obj ? obj[field.name] : obj[snakeName(field.name)];
    if (raw === undefined) continue;
    const at = `${where}.${field.name}`;
    if (field.map && typeof raw === 'object' && raw !== null) {
      out[field.name] = Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, normalizeValue(field, v, `${at}.${k}`)]));
    } else if (field.repeated && Array.isArray(raw)) {
      out[field.name] = raw.map((v, i) => normalizeValue(field, v, `${at}[${i}]`));
    } else {
      out[field.name] = normalizeValue(field, raw, at);
    }
  }
  return out;
}

/** The `events` holder of the accepted shapes: a History, or any object with a `history` field. */
function historyObject(input: unknown): Record<string, unknown> {
  if (typeof input === 'object' && input !== null) {
    const obj = input as Record<string, unknown>;
    if (Array.isArray(obj['events'])) return obj;
    // GetWorkflowExecutionHistoryResponse, and the recorded fixtures of this repo ({ history, ... }).
    const inner = obj['history'];
    if (typeof inner === 'object' && inner !== null && Array.isArray((inner as Record<string, unknown>)['events'])) {
      return inner as Record<string, unknown>;
    }
  }
  throw new HistoryParseError('Expected a workflow history: an object with an `events` array (or with a `history` holding one).');
}

/**
 * Parses a workflow history from JSON text or an already-parsed object: proto3 JSON (what
 * `temporal workflow show --output json` and the Web UI print), the older tctl style
 * (`"eventType": "WorkflowExecutionStarted"`), or a decoded History from any protobufjs copy.
 *
 * @throws {HistoryParseError} `REPLAY_HISTORY_INVALID` when the input is not a history
 */
export function historyFromJSON(input: string | object): proto.temporal.api.history.v1.History {
  let parsed: unknown = input;
  if (typeof input === 'string') {
    try {
      parsed = JSON.parse(input);
    } catch (cause) {
      throw new HistoryParseError(`History is not valid JSON: ${(cause as Error).message}`, { cause });
    }
  }
  const normalized = normalizeMessage(HISTORY, historyObject(parsed), 'history') as IHistory;
  let history: proto.temporal.api.history.v1.History;
  try {
    history = proto.temporal.api.history.v1.History.fromObject(normalized);
  } catch (cause) {
    throw new HistoryParseError(`History could not be decoded: ${(cause as Error).message}`, { cause });
  }
  const first = history.events[0];
  if (!first?.workflowExecutionStartedEventAttributes) {
    throw new HistoryParseError('History must start with a WorkflowExecutionStarted event (event 1); was it cut or filtered?');
  }
  return history;
}
