// How many pods make sandboxes and start containers at once. Each start is
// runc, conmon, CNI plugins and mounts, mostly CPU; started all together,
// thirty pods share the cores and all finish late, at about the time the last
// one would have. A few at a time, in the order they came, the first pods run
// early and the last no later. Finishing a pod whose sandbox exists comes
// before beginning another's, so pods complete in order rather than all
// sandboxes first.

export type StartStep = 'sandbox' | 'container';

export class StartGate {
  private active = 0;
  private readonly waiting: Record<StartStep, (() => void)[]> = { container: [], sandbox: [] };

  constructor(readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`start concurrency must be a positive whole number, got ${limit}`);
  }

  /** Runs `fn` once a slot is free; container steps are let in before sandbox steps. */
  async run<T>(step: StartStep, fn: () => Promise<T>): Promise<T> {
    if (this.active >= this.limit) await new Promise<void>((resolve) => this.waiting[step].push(resolve));
    else this.active++;
    try {
      return await fn();
    } finally {
      const next = this.waiting.container.shift() ?? this.waiting.sandbox.shift();
      // The slot passes straight to the next waiter, so a newcomer cannot slip in between.
      if (next) next();
      else this.active--;
    }
  }

  /** Steps running and waiting (for tests and status). */
  get load(): { active: number; waiting: number } {
    return { active: this.active, waiting: this.waiting.container.length + this.waiting.sandbox.length };
  }
}

/**
 * Default slots: four per core. A start spends much of its time waiting on
 * the programs it runs (runc, conmon, CNI plugins, mount), so fewer slots than
 * that leave cores idle; on a 2-core node, 8 brought the median of 30 pods
 * started at once down by about a fifth against no limit, with the slowest no
 * later, where 2 or 3 made the slowest much later (bench/pod-start.ts).
 */
export function defaultStartConcurrency(cores: number): number {
  return Math.max(4, 4 * Math.ceil(cores));
}
