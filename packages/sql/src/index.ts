/**
 * @intelligent-retry/sql: retry statistics persisted through @effect/sql.
 *
 * @since 0.1.0
 */
export {}
