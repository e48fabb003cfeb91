// How the console writes times and masks: the community's time zone (Asia/Shanghai unless the
// community says otherwise), dates as 2026-12-04 14:30.
export const TIME_ZONE = 'Asia/Shanghai'

const parts = new Intl.DateTimeFormat('en-CA', {
  timeZone: TIME_ZONE,
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hourCycle: 'h23',
})

function pieces(ms: number): Record<string, string> {
  return Object.fromEntries(parts.formatToParts(new Date(ms)).map((p) => [p.type, p.value]))
}

/** 2026-12-04 14:30 in the community's zone. */
export function formatTime(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '—'
  const p = pieces(ms)
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}`
}

/** 2026-12-04 14:30:05, for logs where seconds matter. */
export function formatTimeSeconds(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '—'
  const p = pieces(ms)
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}:${p.second}`
}

/** Midnight today in the community's zone, as epoch milliseconds. */
export function startOfToday(now = Date.now()): number {
  const p = pieces(now)
  const sinceMidnight = ((Number(p.hour) * 60 + Number(p.minute)) * 60 + Number(p.second)) * 1000 + (now % 1000)
  return now - sinceMidnight
}
