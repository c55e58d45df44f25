import { RuntimeError } from '../errors.js';

/**
 * Codes of the errors the runtime, its plugins and its control API throw on purpose.
 * Each one is listed in docs/errors.md; a unit test fails when one is missing there.
 */
export const RuntimeErrorCode = {
  /** Another entity already polls this namespace + task queue. */
  WORKER_CONFLICT: 'WORKER_CONFLICT',
  /** A worker with this id exists already. */
  WORKER_ID_TAKEN: 'WORKER_ID_TAKEN',
  /** No worker with this id. */
  WORKER_NOT_FOUND: 'WORKER_NOT_FOUND',
  /** The runtime is shutting down or shut down: no new work. */
  RUNTIME_SHUT_DOWN: 'RUNTIME_SHUT_DOWN',
  /** A worker spec names a plugin that is not loaded, or one of the wrong kind. */
  PLUGIN_NOT_FOUND: 'PLUGIN_NOT_FOUND',
  /** A plugin module could not be imported (missing file, syntax error, throwing top level). */
  PLUGIN_LOAD_FAILED: 'PLUGIN_LOAD_FAILED',
  /** A plugin module's export does not have the shape of a plugin; the message names what is missing. */
  PLUGIN_INVALID: 'PLUGIN_INVALID',
  /** A plugin's options failed its own schema. */
  PLUGIN_OPTIONS_INVALID: 'PLUGIN_OPTIONS_INVALID',
  /** A plugin's setup threw or did not finish within the load timeout. */
  PLUGIN_SETUP_FAILED: 'PLUGIN_SETUP_FAILED',
  /** A plugin with this name is loaded already. */
  PLUGIN_NAME_TAKEN: 'PLUGIN_NAME_TAKEN',
  /** The control API would listen beyond loopback without a bearer token. */
  API_TOKEN_REQUIRED: 'API_TOKEN_REQUIRED',
  /** A module specifier (plugin module, workflowsPath) is not allowed: a URL scheme, a path outside the module roots, or not a regular file. */
  MODULE_REFUSED: 'MODULE_REFUSED',
  /** A control-API request named a module the operator did not configure, and `allowRuntimeModules` is off. */
  MODULE_NOT_CONFIGURED: 'MODULE_NOT_CONFIGURED',
  /** No Temporal address was given and `devServer` is off. */
  ADDRESS_REQUIRED: 'ADDRESS_REQUIRED',
} as const;
export type RuntimeErrorCode = (typeof RuntimeErrorCode)[keyof typeof RuntimeErrorCode];

/** A worker could not be added because another one holds its namespace + task queue, or its id. */
export class WorkerConflictError extends RuntimeError {
  constructor(code: typeof RuntimeErrorCode.WORKER_CONFLICT | typeof RuntimeErrorCode.WORKER_ID_TAKEN, message: string) {
    super(code, message);
  }
}

/** No worker has the id given. */
export class WorkerNotFoundError extends RuntimeError {
  constructor(readonly workerId: string) {
    super(RuntimeErrorCode.WORKER_NOT_FOUND, `No worker with id "${workerId}".`);
  }
}

/** The runtime no longer accepts work. */
export class RuntimeShutDownError extends RuntimeError {
  constructor(action: string) {
    super(RuntimeErrorCode.RUNTIME_SHUT_DOWN, `Cannot ${action}: the runtime is shutting down.`);
  }
}

/** A plugin could not be found, loaded, checked or set up; `module` names where it came from. */
export class PluginError extends RuntimeError {
  constructor(
    code: Extract<RuntimeErrorCode, `PLUGIN_${string}`>,
    message: string,
    readonly module?: string,
    options?: { cause?: unknown },
  ) {
    super(code, message, options);
  }
}

/** The control API was asked to listen beyond loopback without a token. */
export class ApiTokenRequiredError extends RuntimeError {
  constructor(address: string) {
    super(
      RuntimeErrorCode.API_TOKEN_REQUIRED,
      `The control API would listen on ${address}, beyond loopback, without a bearer token. Set api.token (or TEMPO_API_TOKEN), or bind to 127.0.0.1.`,
    );
  }
}

/**
 * A module the runtime was asked to import or bundle was refused before anything was loaded;
 * `specifier` is what was asked for, `roots` the directories modules may come from.
 */
export class ModuleRefusedError extends RuntimeError {
  constructor(
    code: typeof RuntimeErrorCode.MODULE_REFUSED | typeof RuntimeErrorCode.MODULE_NOT_CONFIGURED,
    message: string,
    readonly specifier: string,
    readonly roots: readonly string[],
    /** The spec field it came from (`workflowsPath`), so the API can name it in `fields`. */
    field?: string,
  ) {
    super(code, message, field ? { cause: { issues: [{ path: field.split('.'), message }] } } : undefined);
  }
}

/** Neither an address, nor TEMPORAL_ADDRESS, nor `devServer: true`. */
export class AddressRequiredError extends RuntimeError {
  constructor() {
    super(
      RuntimeErrorCode.ADDRESS_REQUIRED,
      'No Temporal server address: pass address: "host:port" (or set TEMPORAL_ADDRESS), or devServer: true to install and start a local dev server.',
    );
  }
}
