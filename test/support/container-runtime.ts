/**
 * Is there a container runtime (Docker, Podman, ...) testcontainers can use? Asked once per
 * process: `getContainerRuntimeClient()` rejects within milliseconds when none answers.
 */

export const Backend = { local: 'local', container: 'container' } as const;
export type Backend = (typeof Backend)[keyof typeof Backend];

let answer: Promise<boolean> | undefined;

export function containerRuntimeAvailable(): Promise<boolean> {
  answer ??= (async () => {
    try {
      const { getContainerRuntimeClient } = await import('testcontainers');
      await getContainerRuntimeClient();
      return true;
    } catch {
      return false;
    }
  })();
  return answer;
}
