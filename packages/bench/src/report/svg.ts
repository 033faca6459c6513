/**
 * Hand-written SVG charts: a line chart and a horizontal bar chart, plain strings, no dependency.
 */

export interface Series {
  readonly name: string
  readonly points: ReadonlyArray<readonly [number, number]>
  readonly dashed?: boolean
}

export interface LineChart {
  readonly title: string
  readonly xLabel: string
  readonly yLabel: string
  readonly series: ReadonlyArray<Series>
  readonly xTicks?: ReadonlyArray<number>
  readonly logY?: boolean
  readonly yMax?: number
  /** Horizontal reference lines. */
  readonly hlines?: ReadonlyArray<{ readonly y: number; readonly label: string }>
  /** Shaded x ranges. */
  readonly bands?: ReadonlyArray<{ readonly from: number; readonly to: number; readonly label: string }>
  readonly width?: number
  readonly height?: number
}

/** Tableau 10: distinct, and readable by most colour-blind readers. */
export const palette = [
  "#4e79a7",
  "#f28e2b",
  "#e15759",
  "#76b7b2",
  "#59a14f",
  "#edc948",
  "#b07aa1",
  "#ff9da7",
  "#9c755f",
  "#bab0ac",
  "#1f3b5a",
  "#8c564b"
]

const esc = (s: string): string =>
  s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;")

const fmt = (x: number): string => {
  if (x === 0) return "0"
  const a = Math.abs(x)
  if (a >= 1e6) return `${+(x / 1e6).toPrecision(3)}M`
  if (a >= 1e4) return `${+(x / 1e3).toPrecision(3)}k`
  return `${+x.toPrecision(3)}`
}

const niceStep = (range: number, count: number): number => {
  const raw = range / count
  const mag = 10 ** Math.floor(Math.log10(raw))
  const n = raw / mag
  return (n <= 1 ? 1 : n <= 2 ? 2 : n <= 5 ? 5 : 10) * mag
}

const r2 = (x: number): string => (Math.round(x * 100) / 100).toString()

export const lineChart = (chart: LineChart): string => {
  const width = chart.width ?? 760
  const legendRows = Math.ceil(chart.series.length / 2)
  const plotHeight = chart.height ?? 360
  const height = plotHeight + 44 + legendRows * 18
  const left = 64
  const right = 20
  const top = 36
  const bottom = top + plotHeight - 56
  const all = chart.series.flatMap((s) => s.points)
  const xs = all.map((p) => p[0])
  const ys = all.map((p) => p[1]).filter((y) => Number.isFinite(y))
  const xMin = Math.min(...xs, ...(chart.xTicks ?? []))
  const xMax = Math.max(...xs, ...(chart.xTicks ?? []))
  const logY = chart.logY === true
  const positive = ys.filter((y) => y > 0)
  const yLow = logY ? 10 ** Math.floor(Math.log10(Math.min(...positive))) : 0
  const yTop = chart.yMax ?? Math.max(...ys, ...(chart.hlines ?? []).map((h) => h.y))
  const yHigh = logY ? 10 ** Math.ceil(Math.log10(yTop)) : yTop * 1.05
  const px = (x: number) => left + ((x - xMin) / (xMax - xMin || 1)) * (width - left - right)
  const py = (y: number) => {
    const v = logY
      ? (Math.log10(Math.max(y, yLow)) - Math.log10(yLow)) / (Math.log10(yHigh) - Math.log10(yLow))
      : (Math.min(y, yHigh) - 0) / (yHigh || 1)
    return bottom - v * (bottom - top)
  }
  const out: Array<string> = []
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ` +
      `font-family="system-ui, -apple-system, Segoe UI, sans-serif" font-size="12">`
  )
  out.push(`<rect width="${width}" height="${height}" fill="#ffffff"/>`)
  out.push(
    `<text x="${width / 2}" y="20" text-anchor="middle" font-size="14" font-weight="600">${esc(chart.title)}</text>`
  )
  for (const band of chart.bands ?? []) {
    out.push(
      `<rect x="${r2(px(band.from))}" y="${top}" width="${r2(px(band.to) - px(band.from))}" height="${
        bottom - top
      }" fill="#000000" fill-opacity="0.07"/>`,
      `<text x="${r2((px(band.from) + px(band.to)) / 2)}" y="${top + 14}" text-anchor="middle" fill="#555555">${
        esc(band.label)
      }</text>`
    )
  }
  // y grid
  const yTicks: Array<number> = []
  if (logY) {
    for (let v = yLow; v <= yHigh * 1.0001; v *= 10) yTicks.push(v)
  } else {
    const step = niceStep(yHigh, 5)
    for (let v = 0; v <= yHigh; v += step) yTicks.push(v)
  }
  for (const v of yTicks) {
    const y = r2(py(v))
    out.push(`<line x1="${left}" x2="${width - right}" y1="${y}" y2="${y}" stroke="#e5e5e5"/>`)
    out.push(`<text x="${left - 6}" y="${y}" dy="4" text-anchor="end" fill="#444444">${fmt(v)}</text>`)
  }
  const xTicks = chart.xTicks ?? (() => {
    const step = niceStep(xMax - xMin, 8)
    const ticks: Array<number> = []
    for (let v = Math.ceil(xMin / step) * step; v <= xMax; v += step) ticks.push(v)
    return ticks
  })()
  for (const v of xTicks) {
    const x = r2(px(v))
    out.push(`<line x1="${x}" x2="${x}" y1="${bottom}" y2="${bottom + 4}" stroke="#444444"/>`)
    out.push(`<text x="${x}" y="${bottom + 16}" text-anchor="middle" fill="#444444">${fmt(v)}</text>`)
  }
  out.push(`<line x1="${left}" x2="${width - right}" y1="${bottom}" y2="${bottom}" stroke="#444444"/>`)
  out.push(`<line x1="${left}" x2="${left}" y1="${top}" y2="${bottom}" stroke="#444444"/>`)
  out.push(
    `<text x="${(left + width - right) / 2}" y="${bottom + 34}" text-anchor="middle">${esc(chart.xLabel)}</text>`
  )
  out.push(
    `<text transform="translate(16 ${(top + bottom) / 2}) rotate(-90)" text-anchor="middle">${esc(chart.yLabel)}</text>`
  )
  for (const h of chart.hlines ?? []) {
    const y = r2(py(h.y))
    out.push(
      `<line x1="${left}" x2="${width - right}" y1="${y}" y2="${y}" stroke="#222222" stroke-dasharray="2 3"/>`,
      `<text x="${width - right - 4}" y="${y}" dy="-4" text-anchor="end" fill="#222222">${esc(h.label)}</text>`
    )
  }
  chart.series.forEach((s, i) => {
    const color = palette[i % palette.length]
    const d = s.points
      .filter((p) => Number.isFinite(p[1]) && (!logY || p[1] > 0))
      .map((p, k) => `${k === 0 ? "M" : "L"}${r2(px(p[0]))} ${r2(py(p[1]))}`)
      .join(" ")
    out.push(
      `<path d="${d}" fill="none" stroke="${color}" stroke-width="2"${
        s.dashed === true ? " stroke-dasharray=\"6 4\"" : ""
      }><title>${esc(s.name)}</title></path>`
    )
    if (s.points.length <= 12) {
      for (const p of s.points) {
        if (!Number.isFinite(p[1]) || (logY && p[1] <= 0)) continue
        out.push(`<circle cx="${r2(px(p[0]))}" cy="${r2(py(p[1]))}" r="3" fill="${color}"/>`)
      }
    }
  })
  // legend, two columns
  const legendTop = bottom + 52
  chart.series.forEach((s, i) => {
    const x = i % 2 === 0 ? left : left + (width - left - right) / 2
    const y = legendTop + Math.floor(i / 2) * 18
    const color = palette[i % palette.length]
    out.push(
      `<line x1="${x}" x2="${x + 22}" y1="${y}" y2="${y}" stroke="${color}" stroke-width="3"${
        s.dashed === true ? " stroke-dasharray=\"6 4\"" : ""
      }/>`,
      `<text x="${x + 28}" y="${y}" dy="4">${esc(s.name)}</text>`
    )
  })
  out.push("</svg>")
  return out.join("\n") + "\n"
}

export interface BarChart {
  readonly title: string
  readonly unit: string
  readonly bars: ReadonlyArray<{ readonly label: string; readonly value: number; readonly highlight?: boolean }>
  readonly width?: number
}

export const barChart = (chart: BarChart): string => {
  const width = chart.width ?? 760
  const labelWidth = 330
  const row = 22
  const top = 36
  const height = top + chart.bars.length * row + 16
  const max = Math.max(...chart.bars.map((b) => b.value))
  const scale = (v: number) => (v / max) * (width - labelWidth - 90)
  const out: Array<string> = []
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ` +
      `font-family="system-ui, -apple-system, Segoe UI, sans-serif" font-size="12">`
  )
  out.push(`<rect width="${width}" height="${height}" fill="#ffffff"/>`)
  out.push(
    `<text x="${width / 2}" y="20" text-anchor="middle" font-size="14" font-weight="600">${esc(chart.title)}</text>`
  )
  chart.bars.forEach((b, i) => {
    const y = top + i * row
    out.push(
      `<text x="${labelWidth - 8}" y="${y + 14}" text-anchor="end">${esc(b.label)}</text>`,
      `<rect x="${labelWidth}" y="${y + 3}" width="${r2(Math.max(1, scale(b.value)))}" height="${row - 8}" fill="${
        b.highlight === true ? palette[1] : palette[0]
      }"/>`,
      `<text x="${r2(labelWidth + scale(b.value) + 6)}" y="${y + 14}">${fmt(b.value)} ${esc(chart.unit)}</text>`
    )
  })
  out.push("</svg>")
  return out.join("\n") + "\n"
}
