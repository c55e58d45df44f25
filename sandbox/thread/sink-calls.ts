/**
 * Shapes the sink calls a run recorded into what crosses the thread boundary (see
 * ../portable-values.ts). The workflow library clones sink arguments only when the context has
 * `structuredClone` (ours has not, as the official worker's has not), so values are made portable here.
 */
import type { SinkCall } from '@temporalio/workflow';
import { portable } from '../portable-values.js';
import type { SinkCallRecord } from '../protocol.js';
import type { WorkflowLogLevel } from './context-globals.js';
import type { PendingLog } from './workflow-run.js';

const LOGGER_SINKS = new Set(['__temporal_logger', 'defaultWorkerLogger']);
/** Where `log.*` puts the call time (ns, a bigint): a symbol key, which cloning would drop. */
const LOG_TIMESTAMP = Symbol.for('log_timestamp');

/** The call without the info's functions, its arguments made cloneable. */
export function toSinkCallRecord(call: SinkCall): SinkCallRecord {
  const { now: _now, random: _random, ...unsafe } = call.workflowInfo.unsafe;
  const workflowInfo = portable({ ...call.workflowInfo, unsafe }) as SinkCallRecord['workflowInfo'];
  return { ifaceName: call.ifaceName, fnName: call.fnName, args: call.args.map((arg) => portable(arg)), workflowInfo };
}

/**
 * The calls worth shipping: without `log.*` calls at `quiet` levels, which the host's logger
 * would drop after paying for their copy (the run's info with each) across the thread.
 */
export function withoutQuietLogs(calls: SinkCall[], quiet: readonly string[] | undefined): SinkCall[] {
  if (quiet === undefined || quiet.length === 0) return calls;
  return calls.filter((call) => !(LOGGER_SINKS.has(call.ifaceName) && quiet.includes(call.fnName)));
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
    attributes: portable(attributes) as Record<string, unknown>, // revived by the host (workflow-sandbox.ts)
  };
}
