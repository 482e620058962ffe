/**
 * Everything `npm start` starts registers how to stop it here; `run()` stops it all in
 * reverse order, once, whether the demo ended, failed or was interrupted.
 */
export class Cleanup {
  readonly #steps: { readonly label: string; readonly stop: () => Promise<unknown> | unknown }[] = [];
  #running: Promise<string[]> | undefined;

  add(label: string, stop: () => Promise<unknown> | unknown): void {
    this.#steps.push({ label, stop });
  }

  /** Stop everything; returns the labels that failed to stop (never throws). */
  run(): Promise<string[]> {
    this.#running ??= (async () => {
      const failed: string[] = [];
      for (const step of this.#steps.splice(0).reverse()) {
        try {
          await step.stop();
        } catch {
          failed.push(step.label);
        }
      }
      return failed;
    })();
    return this.#running;
  }
}
