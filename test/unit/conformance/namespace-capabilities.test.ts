import { describe, expect, it } from 'vitest';
import { capabilityMismatches } from '../../../test/conformance/namespace-capabilities.js';

describe('capabilityMismatches', () => {
  it('is empty when the namespace has what the variant expects, an absent capability being false', () => {
    expect(capabilityMismatches({ workerPollCompleteOnShutdown: true }, { workerPollCompleteOnShutdown: true, syncUpdate: true })).toEqual([]);
    expect(capabilityMismatches({ workerPollCompleteOnShutdown: false }, {})).toEqual([]);
  });

  it('names each capability that differs', () => {
    expect(capabilityMismatches({ workerPollCompleteOnShutdown: true }, {})).toEqual(['namespace capability workerPollCompleteOnShutdown = false, expected true']);
  });
});
