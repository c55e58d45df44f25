import { Context } from '@temporalio/activity';

/** The example worker's activities: plain functions, as with the official SDK. */
export async function greet(name: string): Promise<string> {
  Context.current().heartbeat();
  return `Hello, ${name}!`;
}
