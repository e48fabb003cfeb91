// Personal data in lists: phones and ID numbers are masked (138****1001); the full value is a
// deliberate act on a detail page, for the roles that may see it.
export function maskPhone(p: string | null | undefined): string {
  if (!p) return '—'
  return p.length >= 7 ? `${p.slice(0, 3)}****${p.slice(-4)}` : '****'
}
