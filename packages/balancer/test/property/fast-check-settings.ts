import type { Parameters } from 'fast-check';

/**
 * The seed every property starts from unless `FC_SEED` names another one. A fixed seed keeps CI
 * reproducible; exploring other seeds locally is
 * `FC_SEED=123 npx vitest run packages/balancer/test/property`. On failure fast-check prints the
 * seed and the path of the shrunk counterexample, which replay it.
 */
export const propertySeed = Number(process.env.FC_SEED ?? 20261201);
if (!Number.isSafeInteger(propertySeed)) throw new Error(`FC_SEED must be an integer, got ${process.env.FC_SEED}`);

/** `fc.assert` settings: the shared seed and a run count sized so that each file stays well under 3 s. */
export function propertySettings<T>(numRuns: number): Parameters<T> {
  return { seed: propertySeed, numRuns };
}
