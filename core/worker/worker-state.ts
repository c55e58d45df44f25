import { IllegalStateError } from '../errors.js';

/**
 * Lifecycle of a Worker Entity.
 *
 * INITIALIZED → RUNNING ⇄ PAUSED → DRAINING → DRAINED → STOPPED; FAILED from any live state.
 * INITIALIZED → DRAINING too: a drain while start() still bundles (nothing ever polls).
 */
export type WorkerState = 'INITIALIZED' | 'RUNNING' | 'PAUSED' | 'DRAINING' | 'DRAINED' | 'STOPPED' | 'FAILED';

const ALLOWED: Record<WorkerState, readonly WorkerState[]> = {
  INITIALIZED: ['RUNNING', 'DRAINING', 'STOPPED', 'FAILED'],
  RUNNING: ['PAUSED', 'DRAINING', 'FAILED'],
  PAUSED: ['RUNNING', 'DRAINING', 'FAILED'],
  DRAINING: ['DRAINED', 'FAILED'],
  DRAINED: ['STOPPED'],
  STOPPED: [],
  FAILED: ['STOPPED'],
};

export type StateListener = (next: WorkerState, prev: WorkerState) => void;

/** Holds the state and refuses transitions the lifecycle does not allow. */
export class WorkerStateMachine {
  private current: WorkerState = 'INITIALIZED';
  private readonly listeners = new Set<StateListener>();

  constructor(private readonly label: string) {}

  get state(): WorkerState {
    return this.current;
  }

  canMoveTo(next: WorkerState): boolean {
    return ALLOWED[this.current].includes(next);
  }

  /** Moves to `next`, or throws an {@link IllegalStateError} naming both states. */
  moveTo(next: WorkerState): void {
    if (!this.canMoveTo(next)) {
      throw new IllegalStateError(`${this.label} cannot go from ${this.current} to ${next}; allowed from ${this.current}: ${ALLOWED[this.current].join(', ') || 'none'}.`);
    }
    const prev = this.current;
    this.current = next;
    for (const l of this.listeners) {
      try {
        l(next, prev);
      } catch {
        // A listener must never break the lifecycle.
      }
    }
  }

  /** Throws unless the state is one of `states`; `action` names what was attempted. */
  assert(action: string, ...states: WorkerState[]): void {
    if (!states.includes(this.current)) throw new IllegalStateError(`Cannot ${action} ${this.label}: it is ${this.current}; it must be ${states.join(' or ')}.`);
  }

  onChange(listener: StateListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
