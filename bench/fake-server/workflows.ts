/** The workflow of the fake-server benchmark: one activity, its result returned. */
import { proxyActivities } from '@temporalio/workflow';

const { echo } = proxyActivities<{ echo(value: string): Promise<string> }>({ startToCloseTimeout: '10s' });

export async function oneActivity(name: string): Promise<string> {
  return echo(name);
}
