/**
 * @intelligent-retry/bullmq: durable retries for BullMQ workers. Long waits are handed to the
 * queue as delayed jobs, so a retry survives a restart of its worker.
 *
 * @since 0.1.0
 */

/**
 * The processor of a BullMQ `Worker` that runs each job's effect under
 * `IntelligentRetry.withHandoff`.
 *
 * @since 0.1.0
 */
export * as IntelligentWorker from "./IntelligentWorker.js"
