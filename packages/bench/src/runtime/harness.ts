/**
 * A thin layer over tinybench for sub-microsecond operations: each tinybench iteration runs a batch
 * of calls (one call is too short for the timer), the whole set of cases is measured in several
 * interleaved rounds, and every ratio is taken within a round, then the median over rounds.
 */
import { Bench } from "tinybench"

export interface Case {
  readonly id: string
  readonly label: string
  /** One call of the operation. */
  readonly fn: () => unknown
  /** For async cases: one awaited call. */
  readonly async?: boolean
}

export interface Measured {
  readonly id: string
  readonly label: string
  /** Median over rounds of the per-round median, nanoseconds per call. */
  readonly ns: number
  /** Smallest and largest per-round medians. */
  readonly low: number
  readonly high: number
  /** Per-round medians, ns per call. */
  readonly rounds: ReadonlyArray<number>
  /** Total calls timed (all rounds, warm-up excluded). */
  readonly calls: number
}

export interface HarnessOptions {
  readonly rounds: number
  /** Time per case per round, milliseconds. */
  readonly time: number
  readonly warmupTime: number
  /** Calls per tinybench iteration. */
  readonly batch: number
}

export const median = (xs: ReadonlyArray<number>): number => {
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2
}

const batched = (c: Case, batch: number): () => unknown => {
  const fn = c.fn
  if (c.async === true) {
    return async () => {
      for (let i = 0; i < batch; i++) await fn()
    }
  }
  return () => {
    for (let i = 0; i < batch; i++) fn()
  }
}

/** Runs every case in `rounds` rounds; per round one tinybench run over all cases, in order. */
export const measure = async (
  cases: ReadonlyArray<Case>,
  options: HarnessOptions,
  log: (line: string) => void = () => {}
): Promise<Array<Measured>> => {
  const perRound = new Map<string, Array<number>>(cases.map((c) => [c.id, []]))
  const calls = new Map<string, number>(cases.map((c) => [c.id, 0]))
  const async = cases.some((c) => c.async === true)
  for (let round = 0; round < options.rounds; round++) {
    const bench = new Bench({
      time: options.time,
      warmupTime: options.warmupTime,
      iterations: 16,
      throws: true
    })
    // alternate the order, so that no case always runs first (or right after a GC-heavy one)
    const ordered = round % 2 === 0 ? cases : [...cases].reverse()
    for (const c of ordered) bench.add(c.id, batched(c, options.batch))
    const tasks = async ? await bench.run() : bench.runSync()
    for (const task of tasks) {
      const result = task.result
      if (result.state !== "completed") throw new Error(`${task.name}: ${result.state}`)
      // latency is in milliseconds per iteration (one batch)
      perRound.get(task.name)!.push((result.latency.p50 * 1e6) / options.batch)
      calls.set(task.name, calls.get(task.name)! + task.runs * options.batch)
    }
    log(`  round ${round + 1}/${options.rounds}`)
  }
  return cases.map((c) => {
    const rounds = perRound.get(c.id)!
    return {
      id: c.id,
      label: c.label,
      ns: median(rounds),
      low: Math.min(...rounds),
      high: Math.max(...rounds),
      rounds,
      calls: calls.get(c.id)!
    }
  })
}

/** The median over rounds of `a / b`, both measured in the same round. */
export const ratio = (a: Measured, b: Measured): number => median(a.rounds.map((x, i) => x / b.rounds[i]))

/** The smallest and largest per-round `a / b`. */
export const ratioRange = (a: Measured, b: Measured): readonly [number, number] => {
  const xs = a.rounds.map((x, i) => x / b.rounds[i])
  return [Math.min(...xs), Math.max(...xs)]
}

/** The median over rounds of `a − b`, nanoseconds. */
export const difference = (a: Measured, b: Measured): number => median(a.rounds.map((x, i) => x - b.rounds[i]))
