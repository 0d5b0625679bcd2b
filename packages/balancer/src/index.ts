/*
 * The balancer's public surface: what the CLI (and a program embedding a node) needs, nothing
 * more. Everything else is internal and may move without notice.
 */
export { loadConfig, type ConfigSources } from './config/load-config.js';
export { ConfigError } from './config/config-error.js';
export type { MooringConfig, ConfigInput } from './config/schema.js';
export { startOptions, type OptionSpec } from './config/options.js';
export { parseDuration } from './config/duration.js';
export { parseHostPort, formatHostPort, type HostPort } from './config/host-port.js';
export { defaultCloseCode, isSendableCloseCode, sendableCloseCodesText } from './protocol/close-codes.js';
export { createLogger } from './logging/create-logger.js';
export type { Logger } from 'pino';
export { Primary, type PrimaryOptions, type ReloadConfig } from './supervisor/primary.js';
export { runWorker, type WorkerDeps, type PrimaryChannel } from './supervisor/worker.js';
export {
  errorCodes,
  MooringError,
  type ErrorCode,
  type ErrorEntry,
  type HttpErrorCode,
  type MooringErrorCode,
  type CodeOfKind,
} from './core/error-registry.js';
export type { Backend, Candidate, BackendState } from './core/backend.js';
export type { ConnectionRecord, RouteKind } from './core/session-record.js';
export type {
  StateStore,
  RegisteredBackend,
  RegistrySnapshot,
  NodeInfo,
  LiveCounts,
  HealthRecord,
  StateEvent,
  DrainRecord,
  RebalanceRecord,
  RebalanceBackend,
} from './state/state-store.js';
export { RedisStateStore } from './state/redis-state-store.js';
export { MemoryStateStore } from './state/memory-state-store.js';
export { StateError, type StateErrorCode } from './state/state-error.js';
export { validateBackend } from './state/registry-entry.js';
export { leaseTtlBounds, type BackendLease, type LeaseOutcome } from './state/backend-lease.js';
export { OperatorError, leasedBackend, type OperatorErrorCode } from './operator/operator-error.js';
export { checkBackend, checkBackendId, type BackendInput, type CheckedBackend } from './operator/backend-input.js';
export { addBackend, type AddedBackend } from './operator/add-backend.js';
export {
  checkDrainTerms,
  drainDefaults,
  drainTermKeys,
  type DrainTerms,
  type DrainTermsInput,
  type DrainTermNames,
} from './operator/drain-terms.js';
export { drainBackend, undrainBackend } from './operator/drain-backend.js';
export { removeBackend, liveConnectionsOn } from './operator/remove-backend.js';
export {
  checkRebalanceTerms,
  rebalanceDefaults,
  type RebalanceTerms,
  type RebalanceTermsInput,
} from './operator/rebalance-terms.js';
export { planRebalance, type RebalancePlan, type BackendBalance } from './operator/rebalance-plan.js';
export { Rebalancer, type RebalancerOptions, type RebalanceOutcome } from './operator/rebalancer.js';
export { readBackendRows, type BackendRow, type MalformedRow } from './operator/backend-rows.js';
export { nodeRow, readNodeRows, type NodeRow } from './operator/node-rows.js';
export {
  readConnectionRows,
  checkConnectionLimit,
  connectionLimits,
  type ConnectionRow,
  type ConnectionQuery,
} from './operator/connection-rows.js';
