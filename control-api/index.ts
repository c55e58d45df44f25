/** The control API's public surface (`tempo-worker-runtime/control-api`). */
export { createControlApi, controlApiDefaults, type ControlApiOptions, type ControlledRuntime } from './app.js';
export { serveControlApi, serveDefaults, type ServeOptions, type ServedControlApi } from './serve.js';
