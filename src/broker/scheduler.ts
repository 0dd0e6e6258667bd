/** Something with work to run at the next microtask. */
export interface Pumpable {
  pump(): void;
}

/**
 * Batches the hand-over from publishers to subscriptions: every subscription that received work
 * during a synchronous run of publishes is pumped in one microtask, instead of one microtask per
 * subscription (which dominates when events fan out over many subscriptions).
 */
export class Scheduler {
  private ready: Pumpable[] = [];
  private spare: Pumpable[] = [];
  private scheduled = false;

  schedule(target: Pumpable): void {
    this.ready.push(target);
    if (!this.scheduled) {
      this.scheduled = true;
      queueMicrotask(this.flush);
    }
  }

  private readonly flush = (): void => {
    this.scheduled = false;
    const batch = this.ready;
    this.ready = this.spare;
    for (let i = 0; i < batch.length; i++) batch[i]!.pump();
    batch.length = 0;
    this.spare = batch;
  };
}
