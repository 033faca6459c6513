/**
 * The command's flag values, parsed and validated in one place. Every error names the flag and
 * the value, and says what was expected.
 *
 * @internal
 */
import * as Either from "effect/Either"
import * as nodePath from "node:path"

/**
 * Where the statistics are: an SQLite file, or a PostgreSQL database.
 *
 * @internal
 */
export type DatabaseTarget =
  | { readonly _tag: "Sqlite"; readonly file: string }
  | { readonly _tag: "Postgres"; readonly url: string }

/**
 * A flag value that cannot be used.
 *
 * @internal
 */
export interface FlagProblem {
  readonly flag: string
  readonly message: string
}

const problem = (flag: string, value: string, expected: string): Either.Either<never, FlagProblem> =>
  Either.left({ flag, message: `Invalid --${flag}: expected ${expected}, got ${JSON.stringify(maskUrl(value))}` })

/**
 * A URL with its password replaced by `***`, so that messages never print it.
 *
 * @internal
 */
export const maskUrl = (value: string): string =>
  value.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/@\s]*:)[^@/\s]*@/i, "$1***@")

const UNITS: Readonly<Record<string, number>> = {
  ms: 1,
  s: 1000,
  sec: 1000,
  second: 1000,
  seconds: 1000,
  m: 60_000,
  min: 60_000,
  minute: 60_000,
  minutes: 60_000,
  h: 3_600_000,
  hour: 3_600_000,
  hours: 3_600_000,
  d: 86_400_000,
  day: 86_400_000,
  days: 86_400_000,
  w: 604_800_000,
  week: 604_800_000,
  weeks: 604_800_000
}

const DURATION_PART = /(\d+(?:\.\d+)?)\s*([a-z]+)/gy

/**
 * A positive, finite duration in milliseconds: `90s`, `30m`, `24h`, `7d`, `1h30m`, `2 hours`.
 *
 * @internal
 */
export const duration = (flag: string, value: string): Either.Either<number, FlagProblem> => {
  const text = value.trim().toLowerCase()
  const expected = "a positive duration such as 30m, 24h, 7d or 1h30m (units: ms, s, m, h, d, w)"
  if (text === "") return problem(flag, value, expected)
  let millis = 0
  let at = 0
  DURATION_PART.lastIndex = 0
  while (at < text.length) {
    DURATION_PART.lastIndex = at
    const match = DURATION_PART.exec(text)
    if (match === null) return problem(flag, value, expected)
    const unit = UNITS[match[2]]
    if (unit === undefined) return problem(flag, value, expected)
    millis += Number(match[1]) * unit
    at = DURATION_PART.lastIndex
    while (text[at] === " ") at++
  }
  return Number.isFinite(millis) && millis >= 1 ? Either.right(Math.round(millis)) : problem(flag, value, expected)
}

/**
 * `--db`: a `postgres://` / `postgresql://` URL, a `file:` URL, or a path to an SQLite file. Any
 * other scheme is refused, and so is a PostgreSQL URL that does not parse.
 *
 * @internal
 */
export const databaseTarget = (value: string, cwd: string): Either.Either<DatabaseTarget, FlagProblem> => {
  const text = value.trim()
  const expected = "a path to an SQLite file, a file: URL, or a postgres://user@host:port/database URL"
  if (text === "") return problem("db", value, expected)
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(text)?.[1]?.toLowerCase()
  if (scheme === "postgres" || scheme === "postgresql") {
    let url: URL
    try {
      url = new URL(text)
    } catch {
      return problem("db", value, expected)
    }
    if (url.hostname === "" || url.pathname.length <= 1) {
      return problem("db", value, "a PostgreSQL URL with a host and a database, such as postgres://user@host:5432/db")
    }
    if (url.port !== "" && !(Number(url.port) > 0 && Number(url.port) < 65536)) {
      return problem("db", value, "a PostgreSQL URL with a port from 1 to 65535")
    }
    return Either.right({ _tag: "Postgres", url: text })
  }
  if (scheme === "file") {
    const path = text.replace(/^file:(\/\/)?/i, "")
    if (path === "") return problem("db", value, expected)
    return Either.right({ _tag: "Sqlite", file: nodePath.resolve(cwd, decodeURIComponent(path)) })
  }
  // One-letter "schemes" are Windows drive letters.
  if (scheme !== undefined && scheme.length > 1) return problem("db", value, expected)
  return Either.right({ _tag: "Sqlite", file: nodePath.resolve(cwd, text) })
}

/**
 * `--port`: an integer from 0 (any free port) to 65535.
 *
 * @internal
 */
export const port = (value: number): Either.Either<number, FlagProblem> =>
  Number.isInteger(value) && value >= 0 && value <= 65535
    ? Either.right(value)
    : problem("port", String(value), "an integer from 0 (any free port) to 65535")

/**
 * `--threshold`: a non-negative integer number of failed attempts.
 *
 * @internal
 */
export const threshold = (value: number): Either.Either<number, FlagProblem> =>
  Number.isInteger(value) && value >= 0
    ? Either.right(value)
    : problem("threshold", String(value), "a non-negative integer (failed attempts in the window)")

/**
 * How a target is named in messages: the file (relative to the current directory when under it),
 * or the URL without its password.
 *
 * @internal
 */
export const describeTarget = (target: DatabaseTarget): string => {
  if (target._tag === "Postgres") return `PostgreSQL ${maskUrl(target.url)}`
  const relative = nodePath.relative(process.cwd(), target.file)
  const shown = relative === "" || relative.startsWith("..") || nodePath.isAbsolute(relative) ? target.file : relative
  return `SQLite file ${shown}`
}
