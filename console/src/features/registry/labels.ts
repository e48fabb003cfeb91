import { i18n } from '@/i18n'

/** A person's kind in words (an unknown code as it is). */
export function kindLabel(kind: string): string {
  const key = 'registry.people.kind.' + kind
  return i18n.global.te(key) ? i18n.global.t(key) : kind
}

/** An ID number as the API gave it (already masked unless deliberately revealed). */
export function idLabel(n: string | null | undefined): string {
  return n ? n : i18n.global.t('registry.people.none')
}
