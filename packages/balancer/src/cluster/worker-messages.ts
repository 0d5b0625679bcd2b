/** Messages the primary sends its workers over the cluster IPC channel. */
export type PrimaryToWorker = { type: 'shutdown'; deadlineMs: number };

/** Messages workers send the primary. */
export type WorkerToPrimary = { type: 'drained' };

/** Environment variable carrying the validated config from the primary to its workers. */
export const workerConfigEnv = 'MOORING_WORKER_CONFIG';
