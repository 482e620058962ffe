import type { Painter, TextSink } from './output.ts';

export interface ProgressBar {
  update(counts: { readonly done: number; readonly failed: number }): void;
  /** Clear the bar's line so the next output starts clean. */
  finish(): void;
}

/** A one-line bar on a terminal: `[#########.........] 90/200  ok 88  failed 2  12.3 s`. */
export function createProgressBar(
  sink: TextSink,
  total: number,
  paint: Painter,
  now: () => number,
): ProgressBar {
  const started = now();
  const width = 30;
  let lastDrawn = '';
  return {
    update({ done, failed }) {
      const filled = total === 0 ? width : Math.round((done / total) * width);
      const bar = `${'#'.repeat(filled)}${'.'.repeat(width - filled)}`;
      const line = `[${bar}] ${done}/${total}  ${paint.green(`ok ${done - failed}`)}  ${failed > 0 ? paint.red(`failed ${failed}`) : `failed 0`}  ${((now() - started) / 1000).toFixed(1)} s`;
      if (line === lastDrawn) return;
      lastDrawn = line;
      sink.write(`\r\u001b[2K${line}`);
    },
    finish() {
      sink.write('\r\u001b[2K');
    },
  };
}
