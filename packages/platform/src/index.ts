/**
 * @since 0.1.0
 */

/**
 * Intelligent retry for `@effect/platform`'s `HttpClient`: status classification, server hints,
 * idempotency.
 *
 * @since 0.1.0
 */
export * as IntelligentHttpClient from "./IntelligentHttpClient.js"
