import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Env } from '../../shared/config.ts';
import { createCliSecretsClient, resolveAwsSettings, type AwsSettings } from './aws-client.ts';
import { NO_TERMINAL, type Confirm } from './confirm.ts';
import type { ExitCode } from './exit-code.ts';
import { emulatorProgressSource, isEmulator } from './follow/emulator-progress.ts';
import { tagProgressSource } from './follow/tag-progress.ts';
import type { ProgressSource } from './follow/rotation-snapshot.ts';
import type { CommonFlags } from './options.ts';
import { painter, type Output, type Painter } from './output.ts';
import { documentRenderer } from './render-document.ts';

export type FetchLike = (
  input: string,
  init?: { signal?: AbortSignal },
) => Promise<{ ok: boolean; status: number; json(): Promise<unknown> }>;

/** What the CLI gets from outside. main.ts fills it from the process; tests inject their own. */
export interface CliDeps {
  /** Read once by main.ts; commands read settings from here, never from process.env. */
  readonly env: Env;
  readonly out: Output;
  /** Injected client (tests); default: built from --region/--endpoint-url and the SDK chain. */
  readonly client?: SecretsManagerClient;
  readonly fetch?: FetchLike;
  readonly confirm?: Confirm;
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly signal?: AbortSignal;
}

export interface CommandContext {
  readonly out: Output;
  readonly paint: Painter;
  readonly json: boolean;
  readonly client: SecretsManagerClient;
  /** A client for another Region (replica secrets), same endpoint and credentials. */
  regionClient(region: string): SecretsManagerClient;
  readonly settings: AwsSettings;
  readonly confirm: Confirm;
  readonly now: () => number;
  readonly sleep: (ms: number) => Promise<void>;
  readonly signal: AbortSignal | undefined;
  /** How to follow rotations: the emulator's records when the endpoint serves them, else labels. */
  progressSource(mode: FollowMode): Promise<ProgressSource>;
}

export const FollowMode = { auto: 'auto', emulator: 'emulator', poll: 'poll' } as const;
export type FollowMode = (typeof FollowMode)[keyof typeof FollowMode];

export interface Command {
  readonly name: string;
  readonly summary: string;
  readonly help: string;
  run(argv: readonly string[], deps: CliDeps): Promise<ExitCode>;
}

export function createContext(common: CommonFlags, deps: CliDeps): CommandContext {
  const settings = resolveAwsSettings(common, deps.env);
  const out: Output = common.json
    ? { ...deps.out, renderDocument: documentRenderer(common.output, common.query) }
    : deps.out;
  const client = deps.client ?? createCliSecretsClient(settings, deps.env);
  const fetchImpl: FetchLike = deps.fetch ?? ((input, init) => fetch(input, init));
  let detected: Promise<ProgressSource> | undefined;
  const regionClients = new Map<string, SecretsManagerClient>();
  return {
    out,
    paint: painter(deps.out.color && !common.noColor && !common.json),
    json: common.json,
    client,
    regionClient(region) {
      if (region === settings.region) return client;
      let regional = regionClients.get(region);
      if (!regional) {
        regional = createCliSecretsClient({ ...settings, region }, deps.env);
        regionClients.set(region, regional);
      }
      return regional;
    },
    settings,
    confirm: deps.confirm ?? NO_TERMINAL,
    now: deps.now ?? (() => Date.now()),
    sleep: deps.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms))),
    signal: deps.signal,
    progressSource(mode) {
      if (mode === FollowMode.poll || settings.endpoint === undefined)
        return Promise.resolve(tagProgressSource(client));
      const endpoint = settings.endpoint;
      if (mode === FollowMode.emulator) return Promise.resolve(emulatorProgressSource(endpoint, fetchImpl));
      detected ??= isEmulator(endpoint, fetchImpl, deps.signal).then((yes) =>
        yes ? emulatorProgressSource(endpoint, fetchImpl) : tagProgressSource(client),
      );
      return detected;
    },
  };
}
