/**
 * The generator of `docs/reliability.md`. Each reliability test file opens a section, and each of
 * its tests adds rows with what it measured: the inputs tried, the faults injected, the load held,
 * the numbers and the result. After the file's tests, the section is saved as JSON under
 * `test/reliability/results/` and the whole report is rebuilt from every saved section, so a run
 * of one file updates its own rows and keeps the others.
 *
 * Nothing is written unless `RELIABILITY_REPORT=1`, which only `pnpm report:reliability` sets: the
 * test command never rewrites tracked files.
 *
 * Deterministic: every count comes from fixed seeds and scripts; timings and heap figures, which
 * vary from machine to machine, are rounded and kept in their own column, and the file is written
 * only when its text changes.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import * as v8 from "node:v8"
import * as vm from "node:vm"
import { afterAll, afterEach, beforeEach, expect } from "vitest"

const root = path.resolve(import.meta.dirname, "..", "..")
const resultsDir = path.join(import.meta.dirname, "results")
const docPath = path.join(root, "docs", "reliability.md")
const lockDir = path.join(resultsDir, ".lock")

/** One thing tried, as a row of the report. */
export interface Row {
  /** What was tried: the property or the scenario. */
  readonly tried: string
  /** Inputs tried: the values, ranges or run counts. */
  readonly inputs: string
  /** Faults injected. */
  readonly faults: string
  /** Load held: concurrency, operations, simulated time. */
  readonly load: string
  /** Numbers measured that do not vary between runs (counts, bounds). */
  readonly measured: string
  /** Timings or heap figures: they vary by machine, and are rounded. */
  readonly timing?: string | undefined
}

/** A row with the test that added it and that test's result. */
export interface SavedRow extends Row {
  readonly test: string
  readonly result: "pass" | "FAIL"
}

/** A section as saved under `test/reliability/results/`. */
export interface SavedSection {
  readonly id: string
  readonly order: number
  readonly title: string
  readonly file: string
  readonly rows: ReadonlyArray<SavedRow>
  /** Extra Markdown after the table (a per-hour soak table). */
  readonly extra: string
}

/** Milliseconds, rounded to two significant digits (microseconds below 1 ms). */
export const ms = (millis: number): string => {
  if (!Number.isFinite(millis)) return String(millis)
  if (millis < 1) {
    const micros = millis * 1000
    return micros < 10 ? `${micros.toFixed(1)} µs` : `${Number(micros.toPrecision(2))} µs`
  }
  if (millis < 10) return `${millis.toFixed(1)} ms`
  const digits = Math.floor(Math.log10(millis)) + 1
  const unit = 10 ** Math.max(0, digits - 2)
  const rounded = Math.round(millis / unit) * unit
  return rounded >= 10_000 ? `${(rounded / 1000).toLocaleString("en-US")} s` : `${rounded.toLocaleString("en-US")} ms`
}

/** Bytes as MiB with one decimal. */
export const mib = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MiB`

/** A count with thousands separators. */
export const n = (x: number): string => x.toLocaleString("en-US")

let gcFunction: (() => void) | undefined | null = null

/**
 * A full garbage collection, when the runtime allows one: `global.gc` if Node was started with
 * `--expose-gc`, else the same function obtained through `v8.setFlagsFromString`. Returns whether a
 * collection ran.
 */
export const collectGarbage = (): boolean => {
  if (gcFunction === null) {
    const exposed = (globalThis as { gc?: () => void }).gc
    if (typeof exposed === "function") {
      gcFunction = exposed
    } else {
      try {
        v8.setFlagsFromString("--expose-gc")
        gcFunction = vm.runInNewContext("gc") as () => void
      } catch {
        gcFunction = undefined
      }
    }
  }
  if (gcFunction === undefined) return false
  gcFunction()
  gcFunction()
  return true
}

/** `process.memoryUsage().heapUsed` after a full collection (when one is possible). */
export const heapUsed = (): number => {
  collectGarbage()
  return process.memoryUsage().heapUsed
}

/** Times `f` with `performance.now()`, in milliseconds. */
export const time = <A>(f: () => A): [A, number] => {
  const start = performance.now()
  const a = f()
  return [a, performance.now() - start]
}

const sleepSync = (millis: number): void => {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, millis)
}

/** Runs `f` holding a lock directory, so that parallel test workers rebuild the report one at a time. */
const withLock = (f: () => void): void => {
  const deadline = Date.now() + 30_000
  for (;;) {
    try {
      fs.mkdirSync(lockDir)
      break
    } catch {
      // a lock left by a killed worker
      try {
        if (Date.now() - fs.statSync(lockDir).mtimeMs > 60_000) fs.rmSync(lockDir, { recursive: true, force: true })
      } catch {
        // gone already
      }
      if (Date.now() > deadline) break
      sleepSync(20)
    }
  }
  try {
    f()
  } finally {
    fs.rmSync(lockDir, { recursive: true, force: true })
  }
}

/** Writes `text` to `file` (atomically, by rename) unless the file already holds exactly that text. */
export const writeIfChanged = (file: string, text: string): void => {
  try {
    if (fs.readFileSync(file, "utf8") === text) return
  } catch {
    // absent
  }
  const temp = `${file}.${process.pid}.tmp`
  fs.writeFileSync(temp, text)
  fs.renameSync(temp, file)
}

const cell = (s: string | undefined): string => (s ?? "").replace(/\|/g, "\\|").replace(/\n/g, " ")

/** The Markdown of the report: a pure function of the saved sections, so the same sections give the same file. */
export const render = (sections: ReadonlyArray<SavedSection>): string => {
  const out: Array<string> = []
  const rows = sections.flatMap((s) => s.rows)
  const failed = rows.filter((r) => r.result !== "pass").length
  out.push("# Reliability report")
  out.push("")
  out.push(
    "Generated by the reliability tests; do not edit by hand. Each test adds its rows as it runs, so this file " +
      "always shows what the last run of each test measured. To regenerate it:"
  )
  out.push("")
  out.push("```sh")
  out.push(
    "npx -y pnpm@12.4.2 report:reliability"
  )
  out.push("```")
  out.push("")
  out.push(
    "Counts, bounds and outcomes come from fixed seeds and scripts and are the same on every run. The last " +
      "column, **time / heap (varies)**, holds wall-clock times and heap sizes of the machine that ran the tests, " +
      "rounded to two significant digits; compare them with each other, not across machines."
  )
  out.push("")
  out.push(`**${rows.length} rows, ${failed === 0 ? "all passed" : `${failed} FAILED`}.**`)
  out.push("")
  out.push("| section | tests | result |")
  out.push("| --- | --- | --- |")
  for (const s of sections) {
    const bad = s.rows.filter((r) => r.result !== "pass").length
    const anchor = s.title.toLowerCase().replace(/[^a-z0-9 -]/g, "").replace(/ /g, "-")
    out.push(`| [${s.title}](#${anchor}) | ${s.rows.length} | ${bad === 0 ? "pass" : `${bad} FAILED`} |`)
  }
  for (const s of sections) {
    out.push("")
    out.push(`## ${s.title}`)
    out.push("")
    out.push(`From \`${s.file}\`.`)
    out.push("")
    out.push(
      "| what was tried | inputs tried | faults injected | load held | numbers measured | result | time / heap (varies) |"
    )
    out.push("| --- | --- | --- | --- | --- | --- | --- |")
    for (const r of s.rows) {
      out.push(
        `| ${cell(r.tried)} | ${cell(r.inputs)} | ${cell(r.faults)} | ${cell(r.load)} | ${cell(r.measured)} | ${
          r.result === "pass" ? "pass" : "**FAIL**"
        } | ${cell(r.timing)} |`
      )
    }
    if (s.extra !== "") {
      out.push("")
      out.push(s.extra.trimEnd())
    }
  }
  out.push("")
  return out.join("\n")
}

const readSections = (): Array<SavedSection> => {
  const sections: Array<SavedSection> = []
  for (const name of fs.readdirSync(resultsDir)) {
    if (!name.endsWith(".json")) continue
    try {
      sections.push(JSON.parse(fs.readFileSync(path.join(resultsDir, name), "utf8")) as SavedSection)
    } catch {
      // a half-written file from a killed worker: skip it
    }
  }
  return sections.sort((a, b) => a.order - b.order || a.id.localeCompare(b.id))
}

// `extra` holds per-hour heap and time tables (the soak): it varies like the timings do.
const withoutTimings = ({ extra: _, ...section }: SavedSection): unknown => ({
  ...section,
  rows: section.rows.map(({ timing: _, ...row }) => row)
})

/** Whether the saved section at `file` differs from `section` in nothing but its timings. */
const sameButTimings = (file: string, section: SavedSection): boolean => {
  try {
    const saved = JSON.parse(fs.readFileSync(file, "utf8")) as SavedSection
    return JSON.stringify(withoutTimings(saved)) === JSON.stringify(withoutTimings(section))
  } catch {
    return false
  }
}

/** Rebuilds `docs/reliability.md` from the saved sections. */
export const rebuild = (): void => {
  fs.mkdirSync(resultsDir, { recursive: true })
  withLock(() => writeIfChanged(docPath, render(readSections())))
}

/**
 * Opens the section `id` of the report for the calling test file. Rows added during a test get
 * that test's result; a test that fails before adding a row gets a row saying so.
 */
export const section = (options: { readonly id: string; readonly order: number; readonly title: string }) => {
  const rows: Array<SavedRow> = []
  const pending: Array<Row> = []
  let extra = ""
  const file = path.relative(root, expect.getState().testPath ?? "").split(path.sep).join("/")

  beforeEach(() => {
    pending.length = 0
  })

  afterEach((context) => {
    const test = context.task.name
    const failed = (context.task.result?.errors?.length ?? 0) > 0 || context.task.result?.state === "fail"
    if (pending.length === 0 && failed) {
      pending.push({ tried: test, inputs: "", faults: "", load: "", measured: "failed before measuring" })
    }
    for (const r of pending) rows.push({ ...r, test, result: failed ? "FAIL" : "pass" })
    pending.length = 0
  })

  afterAll(() => {
    // Reports come from an explicit script (`pnpm report:reliability`), never from the test command.
    if (process.env.RELIABILITY_REPORT !== "1") return
    const saved: SavedSection = { ...options, file, rows, extra }
    fs.mkdirSync(resultsDir, { recursive: true })
    withLock(() => {
      const file = path.join(resultsDir, `${options.id}.json`)
      // Timings vary from run to run; the file is rewritten only when something else changed (or
      // when RELIABILITY_REPORT_TIMINGS=1 asks for fresh timings), so running the tests does not
      // dirty the checkout.
      if (process.env.RELIABILITY_REPORT_TIMINGS !== "1" && sameButTimings(file, saved)) return
      writeIfChanged(file, `${JSON.stringify(saved, null, 2)}\n`)
      writeIfChanged(docPath, render(readSections()))
    })
  })

  return {
    /** Adds a row to the current test. */
    add(row: Row): void {
      pending.push(row)
    },
    /** Sets Markdown printed after the section's table. */
    extra(markdown: string): void {
      extra = markdown
    }
  }
}
