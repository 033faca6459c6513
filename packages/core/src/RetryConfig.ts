/**
 * Run-wide settings `withIntelligentRetry` reads: whether retrying is enabled at all.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"

/**
 * The settings.
 *
 * @since 0.1.0
 * @category models
 */
export interface RetrySettings {
  /** `false`: one attempt and no retries, with statistics still recorded. Default: `true`. */
  readonly enabled: boolean
}

/**
 * The current settings, as a `Context.Reference` (default: enabled).
 *
 * @since 0.1.0
 * @category services
 */
export class RetryConfig extends Context.Reference<RetryConfig>()("@intelligent-retry/core/RetryConfig", {
  defaultValue: (): RetrySettings => ({ enabled: true })
}) {}
