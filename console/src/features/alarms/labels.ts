import { i18n } from '@/i18n'

type TagType = 'primary' | 'success' | 'warning' | 'info' | 'danger'

export function kindLabel(kind: string): string {
  const key = 'alarms.kind.' + kind
  return i18n.global.te(key) ? i18n.global.t(key) : kind
}

export function severityType(s: string): TagType {
  return s === 'critical' ? 'danger' : s === 'major' ? 'warning' : s === 'minor' ? 'primary' : 'info'
}

export function statusType(s: string): TagType {
  return s === 'active_unack' ? 'danger' : s === 'cleared_ack' ? 'success' : 'warning'
}
