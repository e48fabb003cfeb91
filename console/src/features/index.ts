// Every feature folder with a `feature.ts` joins the console: adding a feature's pages is adding
// its folder.
import type { Feature } from '@/app/feature'

const found = import.meta.glob<{ default: Feature }>('./*/feature.ts', { eager: true })

export const features: Feature[] = Object.values(found)
  .map((m) => m.default)
  .sort((a, b) => a.id.localeCompare(b.id))
