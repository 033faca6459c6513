/**
 * The demo's flags: plain `process.argv` parsing with `node:util`'s `parseArgs`, and validation
 * in one place. A bad value is a {@link FlagError} naming the flag and the value.
 */
import * as Data from "effect/Data"
import * as Either from "effect/Either"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { parseArgs } from "node:util"
import type { FaultRates } from "./Faults.js"

/** Everything a run is made of. */
export interface DemoOptions {
  /** Seed of the jobs and of the fault injector. Default: 42. */
  readonly seed: number
  /** Jobs in all: 8 in 10 tracking queries, 1 screenshot, 1 document. Default: 300. */
  readonly jobs: number
  /** Jobs in flight at once. Default: 48. */
  readonly concurrency: number
  /**
   * Real time per simulated time, given to `Strategies.scale`: 1/60 runs a simulated minute in a
   * real second. Applies to the policies, the client's timeout and the server's Retry-After.
   * Default: 1/60.
   */
  readonly timeScale: number
  readonly rates: FaultRates
  /** Print the report as JSON on stdout, and nothing else there. Default: false. */
  readonly json: boolean
  /**
   * Where the intelligent run's statistics are written, through `SqlRetryStats` on an SQLite
   * file; `undefined` keeps them in memory only (`--db none`). Default: {@link defaultDatabase},
   * started afresh by each run; a file given with `--db` is added to.
   */
  readonly db: { readonly file: string; readonly fresh: boolean } | undefined
}

/**
 * The demo's statistics database: `.tmp/demo-stats.db` at the repository's root (git-ignored),
 * wherever the demo is started from.
 */
export const defaultDatabase = path.resolve(fileURLToPath(new URL("../../../.tmp/demo-stats.db", import.meta.url)))

/**
 * A database file as the commands at the repository's root name it: relative to the root when
 * it is under it.
 */
export const rootRelative = (file: string): string => {
  const root = path.dirname(path.dirname(defaultDatabase))
  const relative = path.relative(root, file)
  return relative.startsWith("..") || path.isAbsolute(relative) ? file : relative
}

/** The defaults, in one place. */
export const defaults: DemoOptions = {
  seed: 42,
  jobs: 300,
  concurrency: 48,
  timeScale: 1 / 60,
  rates: { network: 0.08, rateLimit: 0.05, serverError: 0.06, malformed: 0.04, unknown: 0.04 },
  json: false,
  db: { file: defaultDatabase, fresh: true }
}

/** A flag that could not be used. Exit code 2. */
export class FlagError extends Data.TaggedError("FlagError")<{
  readonly flag: string
  readonly value: string | undefined
  readonly message: string
}> {}

/** What the command line asks for. */
export type Command =
  | { readonly _tag: "Run"; readonly options: DemoOptions }
  | { readonly _tag: "Help" }

/** The text of `--help`. */
export const usage = `Usage: pnpm demo [-- flags]

A carrier-tracking worker against a flaky local carrier API, run twice on the same seed: with
intelligent retry (the tracking, screenshot and document presets), then with a naive exponential
retry. Ends with a report of both.

Flags:
  --seed <int>               seed of the jobs and of the faults (default ${defaults.seed})
  --jobs <int>               jobs in all, 8/10 tracking, 1/10 screenshot, 1/10 document (default ${defaults.jobs})
  --concurrency <int>        jobs in flight at once (default ${defaults.concurrency})
  --time-scale <factor>      real time per simulated time, e.g. 1/60: a simulated minute per real
                             second (default 1/60); 1 runs the presets in real time
  --network-rate <p>         per request: connection reset or timeout (default ${defaults.rates.network})
  --rate-limit-rate <p>      per tracking request: 429 with Retry-After (default ${defaults.rates.rateLimit})
  --server-error-rate <p>    per request: 503, or 507 for screenshots and documents (default ${defaults.rates.serverError})
  --malformed-rate <p>       per tracking number: malformed record; per document: input without
                             a tracking number (default ${defaults.rates.malformed})
  --unknown-rate <p>         per tracking number: unknown to the carrier, 404 (default ${defaults.rates.unknown})
  --db <file | none>         SQLite file the intelligent run's statistics are written to, for
                             \`intelligent-retry report\` and \`serve\` (default .tmp/demo-stats.db,
                             started afresh each run; a file you name is added to); none: memory only
  --json                     print the report as JSON on stdout (progress goes to stderr)
  -h, --help                 show this text
`

const fail = (flag: string, value: string | undefined, expected: string) =>
  Either.left(
    new FlagError({
      flag,
      value,
      message: `Invalid --${flag}: expected ${expected}, got ${value === undefined ? "nothing" : JSON.stringify(value)}`
    })
  )

const round = (x: number) => Math.round(x * 1e9) / 1e9

const INTEGER = /^\d+$/
const NUMBER = /^(?:\d+(?:\.\d*)?|\.\d+)(?:e-?\d+)?$/i

const integer = (flag: string, value: string | undefined, fallback: number, min: number, max: number) => {
  if (value === undefined) return Either.right(fallback)
  const n = Number(value.trim())
  return INTEGER.test(value.trim()) && n >= min && n <= max
    ? Either.right(n)
    : fail(flag, value, `an integer from ${min} to ${max}`)
}

const probability = (flag: string, value: string | undefined, fallback: number) => {
  if (value === undefined) return Either.right(fallback)
  const n = Number(value.trim())
  return NUMBER.test(value.trim()) && n >= 0 && n <= 1
    ? Either.right(n)
    : fail(flag, value, "a probability from 0 to 1, such as 0.05")
}

/** A factor in (0, 1], as a decimal (`0.0125`) or a fraction (`1/60`). */
const timeScale = (value: string | undefined) => {
  if (value === undefined) return Either.right(defaults.timeScale)
  const parts = value.trim().split("/")
  const ok = parts.length <= 2 && parts.every((p) => NUMBER.test(p.trim()))
  const n = ok ? parts.map(Number).reduce((a, b) => a / b) : Number.NaN
  return Number.isFinite(n) && n > 0 && n <= 1
    ? Either.right(n)
    : fail("time-scale", value, "a factor in (0, 1], such as 1/60 (a simulated minute per real second) or 0.01")
}

const database = (value: string | undefined) => {
  if (value === undefined) return Either.right(defaults.db)
  const text = value.trim()
  if (text === "none") return Either.right(undefined)
  if (text === "" || /^[a-z][a-z0-9+.-]+:/i.test(text)) {
    return fail("db", value, "a path to an SQLite file, or none")
  }
  return Either.right({ file: path.resolve(text), fresh: false })
}

const flags = {
  seed: { type: "string" },
  jobs: { type: "string" },
  concurrency: { type: "string" },
  "time-scale": { type: "string" },
  "network-rate": { type: "string" },
  "rate-limit-rate": { type: "string" },
  "server-error-rate": { type: "string" },
  "malformed-rate": { type: "string" },
  "unknown-rate": { type: "string" },
  json: { type: "boolean" },
  db: { type: "string" },
  help: { type: "boolean", short: "h" }
} as const

/** Parses and validates the arguments after the script name. */
export const parse = (argv: ReadonlyArray<string>): Either.Either<Command, FlagError> => {
  // `pnpm demo -- --json` may pass the separator through.
  const args = argv[0] === "--" ? argv.slice(1) : argv
  let values: { readonly [K in keyof typeof flags]?: (typeof flags)[K]["type"] extends "string" ? string : boolean }
  try {
    values = parseArgs({ args: [...args], options: flags, strict: true, allowPositionals: false }).values
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error)
    const flag = /'(-{1,2}[^' ]+)/.exec(message)?.[1] ?? "arguments"
    return Either.left(new FlagError({ flag: flag.replace(/^-+/, ""), value: undefined, message }))
  }
  if (values.help === true) return Either.right({ _tag: "Help" })
  return Either.gen(function*() {
    const rates: FaultRates = {
      network: yield* probability("network-rate", values["network-rate"], defaults.rates.network),
      rateLimit: yield* probability("rate-limit-rate", values["rate-limit-rate"], defaults.rates.rateLimit),
      serverError: yield* probability("server-error-rate", values["server-error-rate"], defaults.rates.serverError),
      malformed: yield* probability("malformed-rate", values["malformed-rate"], defaults.rates.malformed),
      unknown: yield* probability("unknown-rate", values["unknown-rate"], defaults.rates.unknown)
    }
    const perRequest = rates.network + rates.rateLimit + rates.serverError
    if (perRequest > 1) {
      return yield* Either.left(
        new FlagError({
          flag: "network-rate",
          value: String(rates.network),
          message:
            `Invalid fault rates: --network-rate + --rate-limit-rate + --server-error-rate must be at most 1, got ${rates.network} + ${rates.rateLimit} + ${rates.serverError} = ${
              round(perRequest)
            }`
        })
      )
    }
    if (rates.malformed + rates.unknown > 1) {
      return yield* Either.left(
        new FlagError({
          flag: "malformed-rate",
          value: String(rates.malformed),
          message:
            `Invalid fault rates: --malformed-rate + --unknown-rate must be at most 1, got ${rates.malformed} + ${rates.unknown} = ${
              round(rates.malformed + rates.unknown)
            }`
        })
      )
    }
    const options: DemoOptions = {
      seed: yield* integer("seed", values.seed, defaults.seed, 0, 0xFFFFFFFF),
      jobs: yield* integer("jobs", values.jobs, defaults.jobs, 1, 100_000),
      concurrency: yield* integer("concurrency", values.concurrency, defaults.concurrency, 1, 1024),
      timeScale: yield* timeScale(values["time-scale"]),
      rates,
      json: values.json === true,
      db: yield* database(values.db)
    }
    return { _tag: "Run", options } as const
  })
}

/** A time scale for humans: `1/60` rather than `0.016666666666666666`. */
export const formatScale = (scale: number): string => {
  const inverse = 1 / scale
  return Math.abs(inverse - Math.round(inverse)) < 1e-9 ? `1/${Math.round(inverse)}` : String(scale)
}
