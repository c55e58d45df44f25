/**
 * Shapes the sink calls a run recorded into what crosses the thread boundary: plain,
 * structured-cloneable data. The workflow library clones sink arguments only when the context has
 * `structuredClone` (ours has not, as the official worker's has not), so values are checked here.
 */
import type { SinkCall } from '@temporalio/workflow';
import type { SinkCallRecord } from '../protocol.js';
import type { WorkflowLogLevel } from './context-globals.js';
import type { PendingLog } from './workflow-run.js';

const LOGGER_SINKS = new Set(['__temporal_logger', 'defaultWorkerLogger']);
/** Where `log.*` puts the call time (ns, a bigint): a symbol key, which cloning would drop. */
const LOG_TIMESTAMP = Symbol.for('log_timestamp');

/** A value as it will arrive on the other side; what cannot be cloned is sent as its text. */
function cloneable(value: unknown): unknown {
  try {
    return structuredClone(value);
  } catch {
    if (value === null || typeof value !== 'object') return String(value);
    // One level down: keep what can be kept of a plain object or array (an attributes bag, say).
    const entries = Object.entries(value).map(([k, v]) => [k, cloneable(v)] as const);
    return Array.isArray(value) ? entries.map(([, v]) => v) : Object.fromEntries(entries);
  }
}

/** The call without the info's functions, its arguments made cloneable. */
export function toSinkCallRecord(call: SinkCall): SinkCallRecord {
  const { now: _now, random: _random, ...unsafe } = call.workflowInfo.unsafe;
  const workflowInfo = cloneable({ ...call.workflowInfo, unsafe }) as SinkCallRecord['workflowInfo'];
  return { ifaceName: call.ifaceName, fnName: call.fnName, args: call.args.map(cloneable), workflowInfo };
}

/** A `log.*` call as a log line, or undefined for other sinks and for calls made in replay. */
export function logOfSinkCall(call: SinkCall): PendingLog | undefined {
  if (!LOGGER_SINKS.has(call.ifaceName) || call.workflowInfo.unsafe.isReplayingHistoryEvents) return undefined;
  const [message, attributes = {}] = call.args as [unknown, Record<string | symbol, unknown>?];
  const stamp = attributes[LOG_TIMESTAMP];
  return {
    level: call.fnName as WorkflowLogLevel,
    message: String(message),
    source: 'log',
    timestampMs: typeof stamp === 'bigint' ? Number(stamp / 1_000_000n) : Date.now(),
    attributes: cloneable(attributes) as Record<string, unknown>,
  };
}
