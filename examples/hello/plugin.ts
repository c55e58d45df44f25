/**
 * The example activity plugin: its activity class injects a service the host may register
 * (`GreetingFormat`), the way a real plugin injects a database client.
 */
import { Context } from '@temporalio/activity';
import { inject, injectable, type InjectionToken } from '../../plugins/di.js';
import { defineActivityPlugin } from '../../plugins/contracts.js';
import { activitiesOf } from '../../plugins/registry.js';

/** A host service: how to greet. Register your own on `runtime.container` before loading the plugin. */
export const GreetingFormat: InjectionToken<(name: string) => string> = Symbol.for('examples.hello.GreetingFormat');

@injectable()
export class HelloActivities {
  // An explicit @inject on every parameter: tsx and esbuild emit no decorator metadata.
  constructor(@inject(GreetingFormat) private readonly format: (name: string) => string) {}

  /** Same signature as examples/hello/activities.ts, which the workflow's proxy is typed by. */
  async greet(name: string): Promise<string> {
    Context.current().heartbeat();
    return this.format(name);
  }
}

export default defineActivityPlugin({
  name: 'hello',
  setup({ container }) {
    if (!container.isRegistered(GreetingFormat, true)) container.register(GreetingFormat, { useValue: (name: string) => `Hello, ${name}!` });
    return activitiesOf(container.resolve(HelloActivities));
  },
});
