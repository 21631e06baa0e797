// What a topology module exports by default (`export default app({ topology, ...settings })`), and how the
// settings it was written for are layered with the environment and the CLI's flags.
import type { Topology } from "../topology/topology.ts";
import { environmentOverrides, resolveConfig, type WeirConfig, type WeirConfigInput } from "./config.ts";

const appBrand = Symbol.for("weir.app");

/** What a topology module exports by default: the topology and the settings it was written for. */
export interface AppDefinition {
  readonly [appBrand]: true;
  readonly topology: Topology;
  readonly settings: Readonly<Partial<WeirConfigInput>>;
}

export function app(options: { readonly topology: Topology } & Partial<WeirConfigInput>): AppDefinition {
  const { topology, ...settings } = options;
  return { [appBrand]: true, topology, settings };
}

export function isAppDefinition(value: unknown): value is AppDefinition {
  return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[appBrand] === true;
}

/**
 * The app's settings, layered: the module's own, then WEIR_* environment variables, then `overrides` (the CLI's
 * flags); `bootstrapServers` falls back to KAFKA_BOOTSTRAP_SERVERS.
 */
export function resolveAppConfig(definition: AppDefinition, overrides: Record<string, unknown> = {}, env: NodeJS.ProcessEnv = process.env): WeirConfig {
  const fallback = env.KAFKA_BOOTSTRAP_SERVERS ? { bootstrapServers: env.KAFKA_BOOTSTRAP_SERVERS } : {};
  return resolveConfig(fallback, definition.settings, environmentOverrides(env), overrides);
}
