/**
 * The live progress line: done, in retry, failed, and failed attempts per category. On a
 * terminal it is redrawn in place with `\r`, at most ten times a second; elsewhere (a pipe, a
 * file, CI) a plain line is printed at most once a second. Either only when something changed.
 */
import type { ErrorCategory } from "@intelligent-retry/core"
import { Classifier } from "@intelligent-retry/core"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Schedule from "effect/Schedule"
import type { ProgressCounts, Tracker } from "./Tracker.js"

/** Where text goes: stdout or stderr, or a test's buffer. */
export interface Sink {
  readonly write: (text: string) => void
  /** A terminal: progress is redrawn in place. */
  readonly isTTY: boolean
  /** Width of the terminal, if known. */
  readonly columns?: number | undefined
}

/** Short names for a narrow line. */
export const shortNames: Readonly<Record<ErrorCategory, string>> = {
  network_error: "network",
  api_rate_limit: "429",
  data_error: "data",
  system_error: "system",
  temporary_error: "temp",
  permanent_error: "perm"
}

/** One progress line, without a line break. */
export const render = (label: string, counts: ProgressCounts): string => {
  const width = String(counts.jobs).length
  const failures = Classifier.categories.map((c) => `${shortNames[c]} ${counts.failures[c]}`).join(" · ")
  return `${label.padEnd(11)} ${String(counts.done).padStart(width)}/${counts.jobs} done · ` +
    `${counts.inRetry} in retry · ${counts.failed} failed │ failed attempts ${failures}`
}

const fit = (line: string, columns: number | undefined): string =>
  columns !== undefined && columns > 20 && line.length >= columns ? `${line.slice(0, columns - 2)}…` : line

/** Runs `self` with a progress line for `tracker` on `sink`; the final line stays. */
export const withProgress =
  (sink: Sink, label: string, tracker: Tracker) => <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
    Effect.gen(function*() {
      let last = ""
      const draw = Effect.sync(() => {
        const line = fit(render(label, tracker.counts()), sink.columns)
        if (line === last) return
        sink.write(sink.isTTY ? `\r${line}\x1b[K` : `${line}\n`)
        last = line
      })
      const final = Effect.sync(() => {
        const line = fit(render(label, tracker.counts()), sink.columns)
        if (sink.isTTY) sink.write(`\r${line}\x1b[K\n`)
        else if (line !== last) sink.write(`${line}\n`)
      })
      const ticker = yield* Effect.fork(Effect.repeat(draw, Schedule.spaced(sink.isTTY ? "100 millis" : "1 second")))
      return yield* self.pipe(Effect.ensuring(Effect.zipRight(Fiber.interrupt(ticker), final)))
    })
