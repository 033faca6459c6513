/**
 * Configuration: the guide's environment variables and settings object, read the Effect way,
 * through `Config`. The environment variables apply by default, with no wiring: they are read once
 * per process, through the default `ConfigProvider`, the first time a run needs them. The layers
 * read a custom `ConfigProvider` or a settings object, once, when they are built.
 *
 * **Sources**, highest precedence first:
 *
 * 1. the environment variables (flat names, read from the current `ConfigProvider`):
 *
 *    | variable | effect |
 *    | --- | --- |
 *    | `INTELLIGENT_RETRY_ENABLED` | `false`: one attempt and no retries; statistics are still recorded |
 *    | `RETRY_DEFAULT_MAX_RETRIES` | `maxRetries` of the default categories (below) |
 *    | `RETRY_DEFAULT_BASE_DELAY` | `baseDelay` of the default categories, in seconds |
 *    | `RETRY_NETWORK_MAX_RETRIES` | `maxRetries` of `network_error` |
 *    | `RETRY_API_RATE_LIMIT_DELAY` | `baseDelay` of `api_rate_limit`, in seconds |
 *    | `INTELLIGENT_RETRY_LOG_LEVEL` | the level of the line logged for every scheduled retry (default `info`; `debug`, `warning`, …, or `none`/`off`) |
 *
 * 2. the settings object (`ENABLED`, `DEFAULT_STRATEGY`, `NETWORK_IMMEDIATE_RETRY`,
 *    `API_RATE_LIMIT_DELAY`, `DATA_ERROR_NO_RETRY`, `MONITORING_ENABLED`, `ERROR_THRESHOLD`),
 *    given to `RetryConfig.layerFromSettings` or `RetryConfig.layerFromJsonFile`, or
 *    found by `RetryConfig.layer` under `INTELLIGENT_RETRY_CONFIG` in the `ConfigProvider`;
 * 3. the preset named by `DEFAULT_STRATEGY` (default: `"defaults"`);
 * 4. the built-in table, `Strategies.defaults`.
 *
 * The **default categories** of `RETRY_DEFAULT_*` are those whose policy (after the preset and the
 * settings object) backs off exponentially, `retry_with_backoff`, except `network_error` and
 * `api_rate_limit`, which have variables of their own: `system_error` and `temporary_error` in the
 * built-in table. A delay above a policy's `maxDelay` raises `maxDelay` to it. See
 * `docs/configuration.md`.
 *
 * A malformed value fails the layer with an `InvalidPolicyError` whose `field` is the variable or
 * key as written and whose `value` is the value given; it never falls back to a default.
 *
 * @since 0.1.0
 */
import type * as FileSystem from "@effect/platform/FileSystem"
import * as Context from "effect/Context"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as LogLevel from "effect/LogLevel"
import type { ErrorCategory } from "./ErrorCategory.js"
import * as internal from "./internal/config.js"
import type { InvalidPolicyError } from "./RetryPolicy.js"
import type { PresetName, StrategyTable } from "./Strategies.js"
import { Strategies } from "./Strategies.js"

/**
 * The monitoring settings when none are configured.
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultMonitoring: Monitoring = internal.defaultMonitoring

/**
 * The environment variables, by role, exactly as they are written.
 *
 * @since 0.1.0
 * @category constants
 */
export const variables: {
  readonly enabled: "INTELLIGENT_RETRY_ENABLED"
  readonly defaultMaxRetries: "RETRY_DEFAULT_MAX_RETRIES"
  readonly defaultBaseDelay: "RETRY_DEFAULT_BASE_DELAY"
  readonly networkMaxRetries: "RETRY_NETWORK_MAX_RETRIES"
  readonly apiRateLimitDelay: "RETRY_API_RATE_LIMIT_DELAY"
  readonly logLevel: "INTELLIGENT_RETRY_LOG_LEVEL"
} = internal.variables

/**
 * Where `RetryConfig.layer` looks for the settings object in the `ConfigProvider`:
 * `INTELLIGENT_RETRY_CONFIG` (so `INTELLIGENT_RETRY_CONFIG_DEFAULT_STRATEGY` with
 * `ConfigProvider.fromEnv`, or `{ "INTELLIGENT_RETRY_CONFIG": { … } }` with
 * `ConfigProvider.fromJson`).
 *
 * @since 0.1.0
 * @category constants
 */
export const settingsPrefix: "INTELLIGENT_RETRY_CONFIG" = internal.SETTINGS_PREFIX

/**
 * The Schema of the settings object. Booleans and numbers may also be strings (`"true"`, `"300"`),
 * as a `ConfigProvider` gives them; unknown keys are errors when decoding with
 * `onExcessProperty: "error"`, as the layers do.
 *
 * @since 0.1.0
 * @category schemas
 */
export const SettingsSchema = internal.SettingsSchema

/**
 * Resolves the configuration without installing it. See `RetryConfig.resolve`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const resolve = (settings?: Input): Effect.Effect<Resolved, InvalidPolicyError> =>
  internal.load(settings === undefined ? undefined : internal.decodeSettings(settings))

/**
 * The categories whose `maxRetries` and `baseDelay` `RETRY_DEFAULT_MAX_RETRIES` and
 * `RETRY_DEFAULT_BASE_DELAY` set in `table`: those with the decision `retry_with_backoff`, except
 * `network_error` and `api_rate_limit`.
 *
 * @example
 * ```ts
 * import { RetryConfig, Strategies } from "@intelligent-retry/core"
 *
 * RetryConfig.defaultCategories(Strategies.defaults) // ["system_error", "temporary_error"]
 * ```
 *
 * @since 0.1.0
 * @category getters
 */
export const defaultCategories = (table: StrategyTable): ReadonlyArray<ErrorCategory> =>
  internal.defaultCategories(table)

const layerOf = <R = never>(
  load: Effect.Effect<Resolved, InvalidPolicyError, R>
): Layer.Layer<RetryConfig | Strategies, InvalidPolicyError, R> =>
  Layer.effectContext(
    Effect.map(load, (resolved) =>
      Context.make(RetryConfig, resolved.settings).pipe(Context.add(Strategies, resolved.strategies)))
  )

/**
 * The current settings, as a `Context.Reference`. Its default is what the process's environment
 * variables say (the table above), read once per process, on first use, through `Config` and the
 * default `ConfigProvider`: the operator's switches work with no wiring. A malformed variable is
 * logged once at ERROR, naming it, and every run dies with that `InvalidPolicyError`. The layers
 * (`RetryConfig.layer`, `layerFromSettings`, `layerFromJsonFile`) fill it, and the strategy table,
 * from a custom `ConfigProvider` or a settings object.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { RetryConfig, withIntelligentRetry } from "@intelligent-retry/core"
 *
 * declare const callCarrier: Effect.Effect<string, Error>
 *
 * // reads INTELLIGENT_RETRY_ENABLED, RETRY_DEFAULT_MAX_RETRIES, … once, when the layer is built
 * const program = callCarrier.pipe(
 *   withIntelligentRetry({ task: "track" }),
 *   Effect.provide(RetryConfig.layer)
 * )
 * ```
 *
 * @since 0.1.0
 * @category tags
 */
export const RetryConfig: typeof internal.RetryConfigTag = internal.RetryConfigTag

/**
 * @since 0.1.0
 * @category tags
 */
export type RetryConfig = internal.RetryConfigTag

/**
 * The run-wide settings `withIntelligentRetry` reads.
 *
 * @since 0.1.0
 * @category models
 */
export interface Settings {
  /** `false`: one attempt and no retries, with statistics still recorded. Default: `true`. */
  readonly enabled: boolean
  /**
   * Monitoring settings; absent means `RetryConfig.defaultMonitoring`. The configuration layers
   * always set it. Read it with `RetryConfig.monitoring`.
   */
  readonly monitoring?: Monitoring | undefined
  /**
   * The level at which every scheduled retry is logged (task, category, attempt, wait), as Celery
   * logs `Retry in 60s: …`. `LogLevel.None` turns the line off. Default: `LogLevel.Info`
   * (`INTELLIGENT_RETRY_LOG_LEVEL`).
   */
  readonly retryLogLevel?: LogLevel.LogLevel | undefined
  /**
   * The ceiling of every wait of `withIntelligentRetry`, computed or hinted: policies' `maxDelay`
   * is read as `min(maxDelay, maxWait)`, and a server hint above it ends the run with
   * `hint_exceeds_max_delay`. A finite duration of at least 1 ms and below 2³¹ − 1 ms (about
   * 24.8 days: Node's timers fire at once past that); anything else makes the run die with an
   * `InvalidPolicyError` naming `RetryConfig.maxWait`. Default: 24 hours.
   */
  readonly maxWait?: Duration.DurationInput | undefined
}

/**
 * Settings for `RetryMonitor`, from the guide's `MONITORING_ENABLED` and `ERROR_THRESHOLD`.
 *
 * @since 0.1.0
 * @category models
 */
export interface Monitoring {
  /** Whether periodic monitoring should run. Default: `true`. */
  readonly enabled: boolean
  /** Alert when the failed attempts of a window exceed this. Default: 50. */
  readonly errorThreshold: number
}

/**
 * A `DEFAULT_STRATEGY` name: a preset of `Strategies.presets`, or `"progressive"`, the guide's
 * name, an alias of `"defaults"` (whose system and temporary policies back off progressively).
 *
 * @since 0.1.0
 * @category models
 */
export type Strategy = PresetName | "progressive"

/**
 * The guide's settings object (`INTELLIGENT_RETRY_CONFIG`). Every key is optional; an unknown
 * key is an error. Delays are in seconds.
 *
 * @since 0.1.0
 * @category models
 */
export interface Input {
  /** Retrying on (`true`) or off. Default: `true`. */
  readonly ENABLED?: boolean | undefined
  /** The preset the table starts from. Default: `"defaults"`. */
  readonly DEFAULT_STRATEGY?: Strategy | undefined
  /**
   * `true`: network errors retry at once (`retry_immediately`); `false`: they back off
   * progressively, 5 s, 10 s, 20 s, 40 s (`Strategies.progressive()`). A preset's network
   * policy that already has the chosen decision is kept. Default: the preset's.
   */
  readonly NETWORK_IMMEDIATE_RETRY?: boolean | undefined
  /** `baseDelay` of `api_rate_limit`, in seconds (≥ 0). Default: the preset's (300). */
  readonly API_RATE_LIMIT_DELAY?: number | undefined
  /**
   * `true`: data errors are never retried; `false`: they are retried with the `temporary_error`
   * policy. Default: the preset's (never retried).
   */
  readonly DATA_ERROR_NO_RETRY?: boolean | undefined
  /** Whether periodic monitoring should run. Default: `true`. */
  readonly MONITORING_ENABLED?: boolean | undefined
  /** Alert when the failed attempts of a window exceed this; an integer ≥ 0. Default: 50. */
  readonly ERROR_THRESHOLD?: number | undefined
}

/**
 * What a configuration resolves to: the settings and the table that the layers install.
 *
 * @since 0.1.0
 * @category models
 */
export interface Resolved {
  /** The settings, monitoring included. */
  readonly settings: Settings & { readonly monitoring: Monitoring }
  /** The strategy table. */
  readonly strategies: StrategyTable
  /** The preset the table started from (`"progressive"` resolves to `"defaults"`). */
  readonly preset: PresetName
}

/**
 * Reads the environment variables, and the settings object under `INTELLIGENT_RETRY_CONFIG`,
 * from the current `ConfigProvider` (for a custom provider: without this layer the process's
 * environment applies anyway), once, when the layer is built, and installs the settings
 * (`RetryConfig`) and the table (`Strategies.Strategies`). Absent values keep the built-in
 * defaults. A malformed value fails the layer with an `InvalidPolicyError` naming the variable and
 * the value.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<RetryConfig | Strategies, InvalidPolicyError> = layerOf(internal.load())

/**
 * Like {@link layer}, with the given settings object instead of one read under
 * `INTELLIGENT_RETRY_CONFIG`. It is validated with {@link SettingsSchema} when the layer is built;
 * the environment variables still win over it.
 *
 * @example
 * ```ts
 * import { RetryConfig } from "@intelligent-retry/core"
 *
 * const RetryLive = RetryConfig.layerFromSettings({
 *   ENABLED: true,
 *   DEFAULT_STRATEGY: "progressive",
 *   NETWORK_IMMEDIATE_RETRY: true,
 *   API_RATE_LIMIT_DELAY: 300,
 *   DATA_ERROR_NO_RETRY: true,
 *   MONITORING_ENABLED: true,
 *   ERROR_THRESHOLD: 50
 * })
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layerFromSettings = (settings: Input): Layer.Layer<RetryConfig | Strategies, InvalidPolicyError> =>
  layerOf(internal.load(Effect.suspend(() => internal.decodeSettings(settings))))

/**
 * Like {@link layerFromSettings}, with the settings object read from a JSON file through
 * `@effect/platform`'s `FileSystem` (provide one: `NodeContext.layer` or `NodeFileSystem.layer` from
 * `@effect/platform-node`). An unreadable file, invalid JSON or an invalid setting fails the layer
 * with an `InvalidPolicyError`.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerFromJsonFile = (
  path: string
): Layer.Layer<RetryConfig | Strategies, InvalidPolicyError, FileSystem.FileSystem> =>
  layerOf(internal.load(internal.readJsonFile(path)))

/**
 * The monitoring settings in force: the configured ones, or {@link defaultMonitoring} (enabled,
 * threshold 50). What `RetryMonitor` reads for `MONITORING_ENABLED` and `ERROR_THRESHOLD`.
 *
 * @since 0.1.0
 * @category accessors
 */
export const monitoring: Effect.Effect<Monitoring> = Effect.map(
  RetryConfig,
  (settings) => settings.monitoring ?? defaultMonitoring
)
