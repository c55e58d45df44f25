import { proxyActivities } from '@temporalio/workflow';
import type * as activities from './activities.js';

const { greet } = proxyActivities<typeof activities>({ startToCloseTimeout: '10s' });

/** An unmodified official-SDK workflow. */
export async function hello(name: string): Promise<string> {
  return greet(name);
}
