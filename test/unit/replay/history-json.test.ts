/**
 * History JSON parsing: the three shapes users bring (proto3 JSON from the CLI or Web UI, the older
 * tctl style, protobufjs `toJSON()` output) must decode to the same History.
 */
import proto from '@temporalio/proto';
import { describe, expect, it } from 'vitest';
import { historyFromJSON } from '../../../core/replay/index.js';
import { cliHistoryFile, readText, recordedHistoryFile, toTctlStyle } from './fixtures.js';

const History = proto.temporal.api.history.v1.History;
const EventType = proto.temporal.api.enums.v1.EventType;

describe('historyFromJSON', () => {
  it('reads proto3 JSON as `temporal workflow show --output json` prints it', () => {
    const history = historyFromJSON(readText(cliHistoryFile('hello-activity')));
    const [started, scheduled] = history.events;
    expect(started!.eventType).toBe(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED);
    expect(started!.workflowExecutionStartedEventAttributes!.taskQueue!.kind).toBe(proto.temporal.api.enums.v1.TaskQueueKind.TASK_QUEUE_KIND_NORMAL);
    // "10s" and an RFC 3339 time with nanoseconds
    expect(Number(scheduled!.workflowTaskScheduledEventAttributes!.startToCloseTimeout!.seconds)).toBe(10);
    expect(Number(started!.eventTime!.seconds)).toBeGreaterThan(1_700_000_000);
    expect(started!.eventTime!.nanos).toBeGreaterThan(0);
    // base64 payload data decoded to bytes
    const input = started!.workflowExecutionStartedEventAttributes!.input!.payloads![0]!;
    expect(Buffer.from(input.data!).toString()).toBe('"CLI"');
  });

  it('reads the older tctl style (enum values without prefix, PascalCase) to the same History', () => {
    const text = readText(cliHistoryFile('timers'));
    const tctl = toTctlStyle(text);
    expect(tctl).toContain('"eventType": "WorkflowExecutionStarted"');
    expect(tctl).toContain('"kind": "Normal"');
    expect(History.toObject(historyFromJSON(tctl))).toEqual(History.toObject(historyFromJSON(text)));
  });

  it('reads protobufjs toJSON output ({ seconds, nanos } times) and the fixtures\' { history } wrapper', () => {
    const history = historyFromJSON(readText(recordedHistoryFile('hello-activity')));
    expect(history.events).toHaveLength(11);
    expect(history.events.at(-1)!.eventType).toBe(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED);
  });

  it('accepts an already-decoded History unchanged', () => {
    const decoded = historyFromJSON(readText(cliHistoryFile('timers')));
    const again = historyFromJSON(History.decode(History.encode(decoded).finish()));
    expect(History.toObject(again)).toEqual(History.toObject(decoded));
  });

  it.each([
    ['not JSON', '{ nope'],
    ['no events', '{ "foo": 1 }'],
    ['no WorkflowExecutionStarted first', '{ "events": [{ "eventId": "2", "eventType": "EVENT_TYPE_WORKFLOW_TASK_SCHEDULED", "workflowTaskScheduledEventAttributes": {} }] }'],
    ['a bad timestamp', '{ "events": [{ "eventId": "1", "eventTime": "yesterday", "workflowExecutionStartedEventAttributes": {} }] }'],
  ])('rejects %s with REPLAY_HISTORY_INVALID', (_what, text) => {
    expect(() => historyFromJSON(text)).toThrow(expect.objectContaining({ code: 'REPLAY_HISTORY_INVALID' }));
  });
});
