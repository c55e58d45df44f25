import { describe, expect, it } from 'vitest';
import { parseDynamicConfigYaml, withOverrides } from '../../../test/conformance/dynamic-config.js';

// The shape of the suite's dockerfiles/dynamicconfig/docker.yaml (commit 98d4694), trailing spaces included.
const SUITE_YAML = `system.forceSearchAttributesCacheRefreshOnRead:
  - value: true
    constraints: {}
system.enableDeploymentVersions:
  - value: true
    constraints: {}    
frontend.enableUpdateWorkflowExecution:
  - value: true
    constraints: {}
`;

describe('parseDynamicConfigYaml', () => {
  it('reads one value per key from the suite file', () => {
    expect(parseDynamicConfigYaml(SUITE_YAML)).toEqual({
      'system.forceSearchAttributesCacheRefreshOnRead': true,
      'system.enableDeploymentVersions': true,
      'frontend.enableUpdateWorkflowExecution': true,
    });
  });

  it('reads numbers, quoted and bare strings, and skips comments', () => {
    const yaml = `# header\na.b:\n  - value: 5\nc:\n  - value: "2s"\nd:\n  - value: plain # note\n`;
    expect(parseDynamicConfigYaml(yaml)).toEqual({ 'a.b': 5, c: '2s', d: 'plain' });
  });

  it('refuses what our dev server cannot take: constraints, several values, structured values', () => {
    expect(() => parseDynamicConfigYaml('k:\n  - value: 1\n    constraints: {namespace: x}\n')).toThrow(/constraints/);
    expect(() => parseDynamicConfigYaml('k:\n  - value: 1\n  - value: 2\n')).toThrow(/more than one value/);
    expect(() => parseDynamicConfigYaml('k:\n  - value: {a: 1}\n')).toThrow(/unsupported value/);
    expect(() => parseDynamicConfigYaml('  - value: 1\n')).toThrow(/before any key/);
    expect(() => parseDynamicConfigYaml('k:\n  what is this\n')).toThrow(/cannot read/);
  });
});

describe('withOverrides', () => {
  it('lays a variant over the base config without changing the base', () => {
    const base = { a: true, b: 1 };
    expect(withOverrides(base, { a: false, c: 'x' })).toEqual({ a: false, b: 1, c: 'x' });
    expect(base).toEqual({ a: true, b: 1 });
  });

  it('refuses values that are not scalars', () => {
    expect(() => withOverrides({}, { a: [1] })).toThrow(/only strings, numbers and booleans/);
  });
});
