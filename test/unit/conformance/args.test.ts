import { describe, expect, it } from 'vitest';
import { parseRunnerArgs } from '../../../test/conformance/args.js';

describe('parseRunnerArgs', () => {
  it('defaults to both workers and every feature', () => {
    expect(parseRunnerArgs(['/suite'])).toEqual({ suiteRoot: '/suite', only: [], workers: ['official', 'ours'], jsonPath: undefined, timeoutMs: 180_000, buildName: 'program-tempo-conformance' });
  });

  it('takes repeated and comma-separated --only, one worker, a JSON path and a timeout', () => {
    const args = parseRunnerArgs(['/suite', '--only', 'update/*', '--only', 'signal,query/successful_query', '--worker', 'ours', '--json', 'out.json', '--timeout-ms', '5000']);
    expect(args.only).toEqual(['update/*', 'signal', 'query/successful_query']);
    expect(args.workers).toEqual(['ours']);
    expect(args.jsonPath).toBe('out.json');
    expect(args.timeoutMs).toBe(5000);
    expect(parseRunnerArgs(['/s', '--worker', 'all']).workers).toEqual(['official', 'ours', 'dropin']);
    expect(parseRunnerArgs(['/s', '--worker', 'ours,dropin,ours']).workers).toEqual(['ours', 'dropin']);
  });

  it('refuses a missing suite path, an unknown worker and a bad timeout', () => {
    expect(() => parseRunnerArgs([])).toThrow(/one path to the features suite/);
    expect(() => parseRunnerArgs(['/s', '--worker', 'mine'])).toThrow(/must be one of official, ours, dropin, both, all/);
    expect(() => parseRunnerArgs(['/s', '--timeout-ms', '0'])).toThrow(/positive integer/);
    expect(() => parseRunnerArgs(['/s', '--build-name', '../x'])).toThrow(/plain directory name/);
  });
});
