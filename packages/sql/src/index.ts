/**
 * @intelligent-retry/sql: retry statistics persisted through @effect/sql (SQLite or PostgreSQL),
 * read fleet-wide.
 *
 * @since 0.1.0
 */

/**
 * Per-minute aggregates of every process in one database, and fleet-wide analysis.
 *
 * @since 0.1.0
 */
export * as SqlRetryStats from "./SqlRetryStats.js"
