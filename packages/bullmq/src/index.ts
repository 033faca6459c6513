/**
 * @intelligent-retry/bullmq: durable retries for BullMQ workers.
 *
 * @since 0.1.0
 */
export {}
