/**
 * A run variant's expected namespace capabilities, checked against DescribeNamespace before its
 * features run, as the suite's Go runner does (`assertNamespaceCapabilities`): a variant whose
 * server does not have the capabilities it is about would test nothing.
 */
import { Connection } from '@temporalio/client';

/** Mismatches between the expected capabilities and the namespace's (an absent capability is false). */
export function capabilityMismatches(expected: Readonly<Record<string, boolean>>, actual: Readonly<Record<string, unknown>>): string[] {
  return Object.entries(expected)
    .filter(([name, want]) => (actual[name] === true) !== want)
    .map(([name, want]) => `namespace capability ${name} = ${actual[name] === true}, expected ${want}`);
}

/** The namespace's capabilities, from DescribeNamespace. */
export async function namespaceCapabilities(address: string, namespace: string): Promise<Record<string, unknown>> {
  const connection = await Connection.connect({ address });
  try {
    const response = await connection.workflowService.describeNamespace({ namespace });
    return { ...(response.namespaceInfo?.capabilities ?? {}) };
  } finally {
    await connection.close();
  }
}
