/**
 * Configuration: reading the environment variables and the guide's settings object, validating
 * every value, and resolving them into run-wide settings and a strategy table. Everything here
 * runs once, when a configuration layer is built.
 *
 * Internal, not exported from the package. This header carries no internal tag: on the first import
 * it would strip that import from the declarations, which the service tag kept here needs.
 */
import * as FileSystem from "@effect/platform/FileSystem"
import * as Config from "effect/Config"
import type * as ConfigError from "effect/ConfigError"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as LogLevel from "effect/LogLevel"
import * as Option from "effect/Option"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import type { ErrorCategory } from "../ErrorCategory.js"
import type { Settings as RetryConfigSettings } from "../RetryConfig.js"
import type { RetryPolicy } from "../RetryPolicy.js"
import type { PresetName, StrategyTable } from "../Strategies.js"
import { categories } from "./errorCategory.js"
import { show } from "./policy.js"
import { RetryDecision } from "./retryDecision.js"
import { defaults, immediate, noRetry, presets, progressive } from "./strategies.js"
import type { InvalidPolicyError } from "./validate.js"
import { invalid } from "./validate.js"

// ---------------------------------------------------------------------------------------------
// Names
// ---------------------------------------------------------------------------------------------

/** The environment variables, flat, exactly as users write them. @internal */
export const variables = {
  enabled: "INTELLIGENT_RETRY_ENABLED",
  defaultMaxRetries: "RETRY_DEFAULT_MAX_RETRIES",
  defaultBaseDelay: "RETRY_DEFAULT_BASE_DELAY",
  networkMaxRetries: "RETRY_NETWORK_MAX_RETRIES",
  apiRateLimitDelay: "RETRY_API_RATE_LIMIT_DELAY",
  logLevel: "INTELLIGENT_RETRY_LOG_LEVEL"
} as const

/** Where `RetryConfig.layer` looks for the settings object in the `ConfigProvider`. @internal */
export const SETTINGS_PREFIX = "INTELLIGENT_RETRY_CONFIG"

/** The keys of the guide's settings object, in the order they are checked. @internal */
export const settingsKeys = [
  "ENABLED",
  "DEFAULT_STRATEGY",
  "NETWORK_IMMEDIATE_RETRY",
  "API_RATE_LIMIT_DELAY",
  "DATA_ERROR_NO_RETRY",
  "MONITORING_ENABLED",
  "ERROR_THRESHOLD"
] as const

/**
 * Accepted `DEFAULT_STRATEGY` names: the presets, and the guide's `"progressive"`, an alias of
 * `"defaults"` (whose system and temporary policies already back off progressively).
 *
 * @internal
 */
export const strategyNames = [
  "defaults",
  "tracking",
  "screenshot",
  "document",
  "progressive"
] as const satisfies ReadonlyArray<PresetName | "progressive">

/** @internal */
export type StrategyName = typeof strategyNames[number]

/** @internal */
export const presetOf = (name: StrategyName): PresetName => name === "progressive" ? "defaults" : name

/** The monitoring settings when none are configured; the same as `RetryMonitor`'s defaults. @internal */
export const defaultMonitoring = Object.freeze({ enabled: true, errorThreshold: 50 })

// ---------------------------------------------------------------------------------------------
// Parsers: one per kind of value, shared by the variables and the settings object so that their
// messages are identical. Strings are trimmed; nothing else is forgiven.
// ---------------------------------------------------------------------------------------------

type Parser<A> = (u: unknown) => Either.Either<A, string>

const TRUE: ReadonlySet<string> = new Set(["true", "yes", "on", "1"])
const FALSE: ReadonlySet<string> = new Set(["false", "no", "off", "0"])

/** @internal */
export const parseFlag: Parser<boolean> = (u) => {
  if (typeof u === "boolean") return Either.right(u)
  if (typeof u === "string") {
    const s = u.trim().toLowerCase()
    if (TRUE.has(s)) return Either.right(true)
    if (FALSE.has(s)) return Either.right(false)
  }
  return Either.left(`must be true or false (or yes/no, on/off, 1/0), got ${show(u)}`)
}

const INTEGER = /^\d+$/
const DECIMAL = /^\d+(?:\.\d+)?$/

/** @internal */
export const parseCount: Parser<number> = (u) => {
  const n = typeof u === "number" ? u : typeof u === "string" && INTEGER.test(u.trim()) ? Number(u.trim()) : NaN
  return Number.isSafeInteger(n) && n >= 0 ? Either.right(n) : Either.left(`must be an integer ≥ 0, got ${show(u)}`)
}

/** @internal */
export const parseSeconds: Parser<Duration.Duration> = (u) => {
  const n = typeof u === "number" ? u : typeof u === "string" && DECIMAL.test(u.trim()) ? Number(u.trim()) : NaN
  return Number.isFinite(n) && n >= 0
    ? Either.right(Duration.millis(Math.round(n * 1000)))
    : Either.left(`must be a non-negative number of seconds, got ${show(u)}`)
}

const logLevels: ReadonlyArray<LogLevel.LogLevel> = LogLevel.allLevels

/** A log level by its label or name, any case (`info`, `Debug`, `WARN`); `none` and `off` silence. @internal */
export const parseLogLevel: Parser<LogLevel.LogLevel> = (u) => {
  if (typeof u === "string") {
    const s = u.trim().toLowerCase()
    const level = s === "off" || s === "none"
      ? LogLevel.None
      : s === "warn"
      ? LogLevel.Warning
      : logLevels.find((l) => l.label.toLowerCase() === s || l._tag.toLowerCase() === s)
    if (level !== undefined) return Either.right(level)
  }
  return Either.left(
    `must be a log level (all, trace, debug, info, warning, error, fatal, none or off), got ${show(u)}`
  )
}

/** @internal */
export const parseStrategy: Parser<StrategyName> = (u) =>
  typeof u === "string" && (strategyNames as ReadonlyArray<string>).includes(u)
    ? Either.right(u as StrategyName)
    : Either.left(`must be one of ${strategyNames.map((n) => `"${n}"`).join(", ")}, got ${show(u)}`)

// ---------------------------------------------------------------------------------------------
// The settings object, with Schema
// ---------------------------------------------------------------------------------------------

const fromParser = <A, I>(to: Schema.Schema<A, I>, parse: Parser<A>) =>
  Schema.transformOrFail(Schema.Unknown, Schema.typeSchema(to), {
    strict: true,
    decode: (u, _, ast) =>
      Either.match(parse(u), {
        onLeft: (reason) => ParseResult.fail(new ParseResult.Type(ast, u, reason)),
        onRight: ParseResult.succeed
      }),
    encode: ParseResult.succeed
  })

const Flag = fromParser(Schema.Boolean, parseFlag)

/**
 * The guide's settings object (`INTELLIGENT_RETRY_CONFIG`). Every key is optional; an unknown key
 * is an error. Booleans and numbers may also be given as strings, as a `ConfigProvider` gives them.
 *
 * @internal
 */
export const SettingsSchema = Schema.Struct({
  ENABLED: Schema.optional(Flag),
  DEFAULT_STRATEGY: Schema.optional(fromParser(Schema.Literal(...strategyNames), parseStrategy)),
  NETWORK_IMMEDIATE_RETRY: Schema.optional(Flag),
  API_RATE_LIMIT_DELAY: Schema.optional(fromParser(Schema.DurationFromSelf, parseSeconds)),
  DATA_ERROR_NO_RETRY: Schema.optional(Flag),
  MONITORING_ENABLED: Schema.optional(Flag),
  ERROR_THRESHOLD: Schema.optional(fromParser(Schema.Number, parseCount))
})

/** @internal */
export type Settings = Schema.Schema.Type<typeof SettingsSchema>

const decodeSettingsEither = Schema.decodeUnknownEither(SettingsSchema, { errors: "first", onExcessProperty: "error" })

/**
 * Validates a settings object. `prefix` is put before each key in the error's `field`; `source`
 * (a file path) is named in the message.
 *
 * @internal
 */
export const decodeSettings = (
  input: unknown,
  prefix = "",
  source?: string
): Either.Either<Settings, InvalidPolicyError> => {
  try {
    return decodeReadableSettings(input, prefix, source)
  } catch {
    // a getter that throws, a hostile or revoked Proxy: an invalid configuration, not a defect
    const key = throwingKey(input)
    const where = source === undefined ? "" : ` (in ${source})`
    return Either.left(
      key === undefined
        ? invalid(source ?? "settings", "(unreadable)", `must be a readable object of settings${where}`)
        : invalid(`${prefix}${key}`, "(unreadable)", `could not be read: its getter threw${where}`)
    )
  }
}

/** The first own key of `input` whose value throws when read, if any can be listed. */
const throwingKey = (input: unknown): string | undefined => {
  try {
    for (const key of Object.keys(input as object)) {
      try {
        void (input as Record<string, unknown>)[key]
      } catch {
        return key
      }
    }
  } catch {
    // the keys themselves cannot be listed
  }
  return undefined
}

const decodeReadableSettings = (
  input: unknown,
  prefix: string,
  source: string | undefined
): Either.Either<Settings, InvalidPolicyError> => {
  const where = source === undefined ? "" : ` (in ${source})`
  if (typeof input !== "object" || input === null || Array.isArray(input)) {
    return Either.left(
      invalid(
        source ?? "settings",
        input,
        `must be an object of settings (${settingsKeys.join(", ")}), got ${show(input)}`
      )
    )
  }
  return Either.mapLeft(decodeSettingsEither(input), (error) => {
    const issue = ParseResult.ArrayFormatter.formatErrorSync(error)[0]
    const key = String(issue.path[0] ?? "")
    const value = (input as Record<string, unknown>)[key]
    const reason = issue._tag === "Unexpected"
      ? `is not a setting (${settingsKeys.join(", ")}), got ${show(value)}`
      : issue.message
    return invalid(`${prefix}${key}`, value, `${reason}${where}`)
  })
}

// ---------------------------------------------------------------------------------------------
// Reading through the ConfigProvider
// ---------------------------------------------------------------------------------------------

/** Raw strings of the variables that are set. @internal */
export interface Variables {
  readonly enabled: Option.Option<string>
  readonly defaultMaxRetries: Option.Option<string>
  readonly defaultBaseDelay: Option.Option<string>
  readonly networkMaxRetries: Option.Option<string>
  readonly apiRateLimitDelay: Option.Option<string>
  readonly logLevel: Option.Option<string>
}

const variablesConfig: Config.Config<Variables> = Config.all({
  enabled: Config.option(Config.string(variables.enabled)),
  defaultMaxRetries: Config.option(Config.string(variables.defaultMaxRetries)),
  defaultBaseDelay: Config.option(Config.string(variables.defaultBaseDelay)),
  networkMaxRetries: Config.option(Config.string(variables.networkMaxRetries)),
  apiRateLimitDelay: Config.option(Config.string(variables.apiRateLimitDelay)),
  logLevel: Config.option(Config.string(variables.logLevel))
})

/** The settings keys present under {@link SETTINGS_PREFIX}, as raw strings. */
const nestedSettingsConfig: Config.Config<Record<string, string>> = Config.all(
  settingsKeys.map((key) => Config.map(Config.option(Config.string(key)), (value) => [key, value] as const))
).pipe(
  Config.nested(SETTINGS_PREFIX),
  Config.map((entries) => {
    const present: Record<string, string> = {}
    for (const [key, value] of entries) if (Option.isSome(value)) present[key] = value.value
    return present
  })
)

/** A `ConfigError` that is not about a value (the provider itself failed). */
const unreadable = (error: ConfigError.ConfigError): InvalidPolicyError =>
  invalid("configuration", undefined, `could not be read: ${String(error)}`)

/** Validated variable values; absent ones are `undefined`. @internal */
export interface VariableValues {
  readonly enabled: boolean | undefined
  readonly defaultMaxRetries: number | undefined
  readonly defaultBaseDelay: Duration.Duration | undefined
  readonly networkMaxRetries: number | undefined
  readonly apiRateLimitDelay: Duration.Duration | undefined
  readonly logLevel: LogLevel.LogLevel | undefined
}

const check = <A>(
  name: string,
  raw: Option.Option<string>,
  parse: Parser<A>
): Either.Either<A | undefined, InvalidPolicyError> =>
  Option.isNone(raw)
    ? Either.right(undefined)
    : Either.mapLeft(parse(raw.value), (reason) => invalid(name, raw.value, reason))

/** Validates the variables in a fixed order; the first invalid one is the error. @internal */
export const checkVariables = (raw: Variables): Either.Either<VariableValues, InvalidPolicyError> =>
  Either.all({
    enabled: check(variables.enabled, raw.enabled, parseFlag),
    defaultMaxRetries: check(variables.defaultMaxRetries, raw.defaultMaxRetries, parseCount),
    defaultBaseDelay: check(variables.defaultBaseDelay, raw.defaultBaseDelay, parseSeconds),
    networkMaxRetries: check(variables.networkMaxRetries, raw.networkMaxRetries, parseCount),
    apiRateLimitDelay: check(variables.apiRateLimitDelay, raw.apiRateLimitDelay, parseSeconds),
    logLevel: check(variables.logLevel, raw.logLevel, parseLogLevel)
  })

/** Reads and validates the variables from the current `ConfigProvider`. @internal */
export const readVariables: Effect.Effect<VariableValues, InvalidPolicyError> = Effect.flatMap(
  Effect.mapError(variablesConfig, unreadable),
  checkVariables
)

/** Reads and validates the settings object under {@link SETTINGS_PREFIX}. @internal */
export const readNestedSettings: Effect.Effect<Settings, InvalidPolicyError> = Effect.flatMap(
  Effect.mapError(nestedSettingsConfig, unreadable),
  (raw) => decodeSettings(raw, `${SETTINGS_PREFIX}.`)
)

/**
 * Reads a settings object from a JSON file, through `@effect/platform`'s `FileSystem`, so that core
 * stays platform-agnostic (Node, Bun, Deno, a browser's in-memory file system).
 *
 * @internal
 */
export const readJsonFile = (path: string): Effect.Effect<Settings, InvalidPolicyError, FileSystem.FileSystem> =>
  Effect.flatMap(FileSystem.FileSystem, (fs) => fs.readFileString(path, "utf8")).pipe(
    Effect.mapError((cause) => invalid(path, path, `cannot be read (${messageOf(cause)})`)),
    Effect.flatMap((text) =>
      Effect.try({
        // a UTF-8 byte-order mark, as some Windows editors write, is not part of the JSON text
        try: (): unknown => JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text),
        catch: (cause) => invalid(path, path, `is not valid JSON (${messageOf(cause)})`)
      })
    ),
    Effect.flatMap((json) => decodeSettings(json, "", path))
  )

const messageOf = (u: unknown): string => {
  const message = u instanceof Error || (typeof u === "object" && u !== null && "message" in u) ? (u as any).message : u
  return typeof message === "string" ? message : show(u)
}

// ---------------------------------------------------------------------------------------------
// Resolution
// ---------------------------------------------------------------------------------------------

/** What a configuration layer installs. @internal */
export interface Resolved {
  readonly settings: {
    readonly enabled: boolean
    readonly monitoring: { readonly enabled: boolean; readonly errorThreshold: number }
    readonly retryLogLevel: LogLevel.LogLevel
  }
  readonly strategies: StrategyTable
  readonly preset: PresetName
}

type Table = Record<ErrorCategory, RetryPolicy>

/** Sets `baseDelay`, raising `maxDelay` to it if it was lower, so the configured wait is the first wait. */
const withBaseDelay = (policy: RetryPolicy, baseDelay: Duration.Duration): RetryPolicy => ({
  ...policy,
  baseDelay,
  maxDelay: Duration.max(policy.maxDelay, baseDelay)
})

/**
 * The categories `RETRY_DEFAULT_*` apply to: those whose policy backs off exponentially
 * (`retry_with_backoff`), except `network_error` and `api_rate_limit`, which have variables of
 * their own.
 *
 * @internal
 */
export const defaultCategories = (table: StrategyTable): ReadonlyArray<ErrorCategory> =>
  categories.filter((c) =>
    c !== "network_error" && c !== "api_rate_limit" && table[c].decision === RetryDecision.RETRY_WITH_BACKOFF
  )

/**
 * Resolves settings and variables into run-wide settings and a table. Order: built-in defaults,
 * then the preset, then the settings object, then the environment variables (which win).
 *
 * @internal
 */
export const resolve = (settings: Settings, env: VariableValues): Resolved => {
  const preset = presetOf(settings.DEFAULT_STRATEGY ?? "defaults")
  const table: Table = { ...defaults, ...presets[preset] }

  // the settings object
  if (settings.NETWORK_IMMEDIATE_RETRY === true && table.network_error.decision !== RetryDecision.RETRY_IMMEDIATELY) {
    table.network_error = immediate()
  }
  if (settings.NETWORK_IMMEDIATE_RETRY === false && table.network_error.decision === RetryDecision.RETRY_IMMEDIATELY) {
    table.network_error = progressive()
  }
  if (settings.API_RATE_LIMIT_DELAY !== undefined) {
    table.api_rate_limit = withBaseDelay(table.api_rate_limit, settings.API_RATE_LIMIT_DELAY)
  }
  if (settings.DATA_ERROR_NO_RETRY === true) table.data_error = noRetry
  if (settings.DATA_ERROR_NO_RETRY === false && table.data_error.decision === RetryDecision.NO_RETRY) {
    table.data_error = table.temporary_error
  }

  // the environment variables
  for (const c of defaultCategories(table)) {
    if (env.defaultMaxRetries !== undefined) table[c] = { ...table[c], maxRetries: env.defaultMaxRetries }
    if (env.defaultBaseDelay !== undefined) table[c] = withBaseDelay(table[c], env.defaultBaseDelay)
  }
  if (env.networkMaxRetries !== undefined) {
    table.network_error = { ...table.network_error, maxRetries: env.networkMaxRetries }
  }
  if (env.apiRateLimitDelay !== undefined) {
    table.api_rate_limit = withBaseDelay(table.api_rate_limit, env.apiRateLimitDelay)
  }

  return {
    settings: {
      enabled: env.enabled ?? settings.ENABLED ?? true,
      monitoring: {
        enabled: settings.MONITORING_ENABLED ?? defaultMonitoring.enabled,
        errorThreshold: settings.ERROR_THRESHOLD ?? defaultMonitoring.errorThreshold
      },
      retryLogLevel: env.logLevel ?? LogLevel.Info
    },
    strategies: table,
    preset
  }
}

/**
 * Reads the variables, and the settings object (given, or under {@link SETTINGS_PREFIX} in the
 * `ConfigProvider` when `settings` is `undefined`), and resolves them.
 *
 * @internal
 */
export const load = <R = never>(
  settings: Effect.Effect<Settings, InvalidPolicyError, R> = readNestedSettings as Effect.Effect<
    Settings,
    InvalidPolicyError,
    R
  >
): Effect.Effect<Resolved, InvalidPolicyError, R> =>
  Effect.flatMap(settings, (s) => Effect.map(readVariables, (env) => resolve(s, env)))

// ---------------------------------------------------------------------------------------------
// The process's environment, by default
// ---------------------------------------------------------------------------------------------

/** What the environment resolved to, once per process; `invalid` when a variable was malformed. @internal */
export interface Environment extends Resolved {
  readonly invalid: InvalidPolicyError | undefined
}

let environment: Environment | undefined

/**
 * The configuration of the process's environment variables, read once, on first use, through
 * `Config` and the default `ConfigProvider` (`ConfigProvider.fromEnv`): the default values of
 * `RetryConfig` and of the strategy table. A malformed variable is logged once, at ERROR, naming the
 * variable and the value; every run then dies with the same `InvalidPolicyError` (nothing falls back
 * to a default silently).
 *
 * @internal
 */
export const fromEnvironment = (): Environment => {
  if (environment === undefined) {
    const result = Effect.runSync(Effect.either(load(readEmptySettings)))
    if (Either.isRight(result)) {
      environment = { ...result.right, invalid: undefined }
    } else {
      const fallback = resolve({}, noVariables)
      environment = { ...fallback, invalid: result.left }
      Effect.runSync(
        Effect.logError(
          `intelligent-retry: ${result.left.message}; every withIntelligentRetry run dies with this error until it is fixed`
        )
      )
    }
  }
  return environment
}

/** The settings object is not read from the environment by default: only the documented variables are. */
const readEmptySettings: Effect.Effect<Settings, InvalidPolicyError> = Effect.succeed({})

const noVariables: VariableValues = {
  enabled: undefined,
  defaultMaxRetries: undefined,
  defaultBaseDelay: undefined,
  networkMaxRetries: undefined,
  apiRateLimitDelay: undefined,
  logLevel: undefined
}

/**
 * The table a run uses: the current one, or, when none was installed (the built-in default), the
 * table of the environment variables.
 *
 * @internal
 */
export const currentTable = (current: StrategyTable): StrategyTable =>
  current === defaults ? fromEnvironment().strategies : current

/**
 * The tag behind `RetryConfig.RetryConfig`, kept in the declarations: the public one refers to it.
 *
 * @since 0.1.0
 */
export class RetryConfigTag extends Context.Reference<RetryConfigTag>()("@intelligent-retry/core/RetryConfig", {
  defaultValue: (): RetryConfigSettings => fromEnvironment().settings
}) {}
