/**
 * The section of `docs/benchmarks.md` for statistics persisted in PostgreSQL, from
 * `bench/results/sql-volume.json` (written by `packages/sql/bench/volume.ts`).
 */

/** What `packages/sql/bench/volume.ts` writes. */
export interface SqlVolumeFile {
  readonly failures: number
  readonly tasks: number
  readonly hours: number
  readonly rows: { readonly minutes: number; readonly outcomes: number; readonly samples: number }
  readonly writtenAggregates: number
  readonly writtenSamples: number
  readonly recordMs: number
  readonly writeMs: number
  readonly rowsPerSecond: number
  readonly slowestFlushMs: number
  readonly analyzeAllMs: number
  readonly analyzeOneMs: number
  readonly statisticsMs: number
  readonly windowMs: number
  readonly machine: { readonly cpus: number; readonly load: number; readonly node: string }
}

const n = (x: number) => Math.round(x).toLocaleString("en-US")
const ms = (x: number) => x < 10 ? `${x.toFixed(1)} ms` : `${n(x)} ms`

export const sqlVolumeSection = (r: SqlVolumeFile): string =>
  [
    "## Statistics in PostgreSQL (volume)",
    "",
    `${n(r.failures)} failures (each with a retry; every second one ends a run) over ${n(r.tasks)} tasks and ` +
    `${r.hours} simulated hours, recorded by one process through \`SqlRetryStats.layer\` into PostgreSQL 15 on ` +
    "loopback, flushed once per simulated hour. Regenerate with " +
    "`node --conditions=source --import tsx packages/sql/bench/volume.ts` (services up), then " +
    "`npx -y pnpm@12.4.2 --filter @intelligent-retry/bench report`.",
    "",
    "| what | value |",
    "| --- | --- |",
    `| rows written: per-minute counters / outcomes / samples | ${n(r.rows.minutes)} / ${n(r.rows.outcomes)} / ${
      n(r.rows.samples)
    } |`,
    `| aggregates handed to the sink | ${n(r.writtenAggregates)} |`,
    `| recording (in memory, all ${r.hours} hours) | ${ms(r.recordMs)} |`,
    `| writing (${r.hours} flushes, upserts and running totals in one transaction each) | ${ms(r.writeMs)} ` +
    `(${n(r.rowsPerSecond)} rows/s; slowest flush ${ms(r.slowestFlushMs)}) |`,
    `| fleet-wide \`SqlRetryStats.analyzeTaskErrors()\` (target < 200 ms) | **${ms(r.analyzeAllMs)}** |`,
    `| \`SqlRetryStats.analyzeTaskErrors("task-7")\` | ${ms(r.analyzeOneMs)} |`,
    `| \`SqlRetryStats.getErrorStatistics\` (${n(r.tasks)} tasks, 200 samples) | ${ms(r.statisticsMs)} |`,
    `| \`SqlRetryStats.errorsInWindow("1 hour")\` | ${ms(r.windowMs)} |`,
    "",
    `Medians of repeated reads. Machine: ${r.machine.cpus} cores shared with other work (load ` +
    `${r.machine.load.toFixed(1)}), Node ${r.machine.node}. Analysis reads the running totals (one row per ` +
    "task and category), not the per-minute rows: its cost does not grow with the hours held."
  ].join("\n")
