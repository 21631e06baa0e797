// `weir run --workers N`: what makes worker i of a service a separate instance of the group (docs/architecture.md,
// "Workers"): its own state dir, HTTP port, advertised address, static-membership id and client id.
import { join } from "node:path";
import type { WeirConfig } from "./config.ts";
import { WeirError } from "./errors.ts";

/** Set by the supervisor in each worker's environment: the worker's index, 0 … N−1. */
export const workerIndexVariable = "WEIR_WORKER_INDEX";
/** The number of workers, when `--workers` is not given. */
export const workersVariable = "WEIR_WORKERS";

/** `--workers` (else WEIR_WORKERS, else 1), validated: a whole number from 1 to 64. */
export function workerCount(flag: string | undefined, env: NodeJS.ProcessEnv): number {
  const fromFlag = flag !== undefined;
  const text = (fromFlag ? flag : env[workersVariable])?.trim();
  if (text === undefined || text === "") return 1;
  const n = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isInteger(n) || n < 1 || n > 64) {
    const setting = fromFlag ? "--workers" : workersVariable;
    throw new WeirError("WEIR_CONFIG_INVALID", `${setting}: a whole number of worker processes from 1 to 64, got ${JSON.stringify(text)}`);
  }
  return n;
}

/** This process's worker index when a supervisor started it, else undefined. */
export function workerIndex(env: NodeJS.ProcessEnv): number | undefined {
  const text = env[workerIndexVariable];
  if (text === undefined || text === "") return undefined;
  if (!/^\d+$/.test(text)) throw new WeirError("WEIR_CONFIG_INVALID", `${workerIndexVariable} is set by weir run --workers; got ${JSON.stringify(text)}`);
  return Number(text);
}

export interface WorkerSettings {
  readonly config: WeirConfig;
  /** The host this worker advertises to the group: the configured applicationServer's host, with the worker's own port. */
  readonly advertisedHost: string | undefined;
}

/**
 * Worker `index`'s settings from the service's: state under `<stateDir>/worker-<i>`, its own HTTP port (picked
 * when it listens; the public port is the supervisor's), `groupInstanceId` and `clientId` suffixed `-<i>`
 * (unique per member), and applicationServer's host kept for its own port.
 */
export function workerSettings(config: WeirConfig, index: number): WorkerSettings {
  const advertisedHost = config.applicationServer === undefined ? undefined : config.applicationServer.replace(/:\d{1,5}$/, "");
  const { applicationServer: _replaced, ...rest } = config;
  return {
    config: {
      ...rest,
      stateDir: join(config.stateDir, `worker-${index}`),
      httpPort: 0,
      ...(config.groupInstanceId !== undefined ? { groupInstanceId: `${config.groupInstanceId}-${index}` } : {}),
      clientId: `${config.clientId}-${index}`,
    },
    advertisedHost,
  };
}

