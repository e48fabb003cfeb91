// Words for what devices, boxes and doors report: a device's kind, its last state summed up
// (smoke, fault, trapped passenger… before the details), each reported point with its unit, how
// long ago something was seen, and what a door mode does.
import { onBeforeUnmount, onMounted, ref, type Ref } from 'vue'
import { i18n } from '@/i18n'
import type { PointValue } from './api'

export type TagType = 'primary' | 'success' | 'warning' | 'info' | 'danger'

export const KINDS = ['smoke_detector', 'elevator'] as const
export const DOOR_MODES = ['normal', 'held_open', 'locked', 'emergency_release'] as const

/** The device profiles shipped in `device-profiles/mqtt`, with their heartbeat. */
export const PROFILES: Record<string, { code: string; heartbeat: number }[]> = {
  smoke_detector: [{ code: 'zigbee2mqtt-smoke', heartbeat: 3600 }],
  elevator: [{ code: 'gbt24476-elevator-json', heartbeat: 30 }],
}

/** Below this a smoke detector's battery is low (the box's rule uses the same). */
const BATTERY_LOW = 20

function t(key: string, values?: Record<string, unknown>): string {
  return values ? i18n.global.t(key, values) : i18n.global.t(key)
}

function known(key: string, fallback: string): string {
  return i18n.global.te(key) ? t(key) : fallback
}

export function kindLabel(kind: string): string {
  return known('devices.kind.' + kind, kind)
}

export function profileLabel(code: string): string {
  return known('devices.profile.' + code, code)
}

export function modeLabel(mode: string): string {
  return known('devices.mode.' + mode, mode)
}

export function modeType(mode: string): TagType {
  return mode === 'normal' ? 'success' : mode === 'held_open' ? 'warning' : 'danger'
}

type State = Record<string, PointValue> | null | undefined

export interface StateSummary {
  /** The one thing staff must know first. */
  text: string
  type: TagType
  /** The readings behind it, in words (battery, floor, direction…). */
  details: string[]
}

function num(v: PointValue | undefined): number | null {
  return typeof v === 'number' ? v : null
}

function round(n: number): string {
  return String(Math.round(n * 10) / 10)
}

/** A device's last reported state, summed up in words. */
export function stateSummary(kind: string, state: State): StateSummary {
  if (!state) return { text: t('devices.state.none'), type: 'info', details: [] }
  const details: string[] = []
  if (kind === 'elevator') {
    const floor = num(state.floor)
    if (floor !== null) details.push(t('devices.state.atFloor', { floor }))
    const dir = num(state.direction)
    if (dir !== null) details.push(t(dir > 0 ? 'devices.state.up' : dir < 0 ? 'devices.state.down' : 'devices.state.stopped'))
    if (state.door_open === true) details.push(t('devices.state.doorOpen'))
    if (state.door_open === false) details.push(t('devices.state.doorClosed'))
    if (state.at_floor === false) details.push(t('devices.state.offLevel'))
    const code = num(state.fault_code)
    if (state.trapped === true) return { text: t('devices.state.trapped'), type: 'danger', details }
    if (code !== null && code !== 0) return { text: t('devices.state.faultCode', { code }), type: 'danger', details }
    if (state.maintenance === true) return { text: t('devices.state.maintenance'), type: 'warning', details }
    return { text: t('devices.state.normal'), type: 'success', details }
  }
  const battery = num(state.battery_percent)
  if (battery !== null) details.push(t('devices.state.battery', { n: round(battery) }))
  const density = num(state.smoke_density)
  if (density !== null) details.push(t('devices.state.density', { n: round(density) }))
  if (state.smoke === true) return { text: t('devices.state.smoke'), type: 'danger', details }
  if (state.fault === true) return { text: t('devices.state.fault'), type: 'danger', details }
  if (state.tamper === true) return { text: t('devices.state.tamper'), type: 'warning', details }
  if (battery !== null && battery < BATTERY_LOW) return { text: t('devices.state.lowBattery'), type: 'warning', details }
  return { text: t('devices.state.normal'), type: 'success', details }
}

export interface PointLine {
  key: string
  label: string
  value: string
}

/** Every reported point that has a value, in words (points this console does not know keep
 *  their name). */
export function pointLines(state: State): PointLine[] {
  if (!state) return []
  return Object.entries(state)
    .filter(([, v]) => v !== null)
    .map(([key, v]) => ({ key, label: known('devices.point.' + key, key), value: pointValue(key, v) }))
}

function pointValue(key: string, v: PointValue): string {
  if (key === 'direction' && typeof v === 'number') return t(v > 0 ? 'devices.state.up' : v < 0 ? 'devices.state.down' : 'devices.state.stopped')
  if (key === 'door_open' && typeof v === 'boolean') return t(v ? 'devices.state.doorOpen' : 'devices.state.doorClosed')
  if (typeof v === 'boolean') return t(v ? 'bool.yes' : 'bool.no')
  if (key === 'battery_percent' && typeof v === 'number') return `${round(v)}%`
  if (key === 'smoke_density' && typeof v === 'number') return `${round(v)} dB/m`
  return String(v)
}

/** "3 minutes ago" in the user's language. */
export function relativeTime(ms: number | null | undefined, now: number): string {
  if (ms === null || ms === undefined) return t('devices.never')
  const s = Math.round((ms - now) / 1000)
  if (Math.abs(s) < 45) return t('devices.justNow')
  const rtf = new Intl.RelativeTimeFormat(i18n.global.locale.value, { numeric: 'auto' })
  const m = Math.round(s / 60)
  if (Math.abs(m) < 60) return rtf.format(m, 'minute')
  const h = Math.round(m / 60)
  if (Math.abs(h) < 24) return rtf.format(h, 'hour')
  return rtf.format(Math.round(h / 24), 'day')
}

/** The time now, moving every half minute (for "3 minutes ago"). */
export function useNow(): Ref<number> {
  const now = ref(Date.now())
  let timer: ReturnType<typeof setInterval> | null = null
  onMounted(() => (timer = setInterval(() => (now.value = Date.now()), 30_000)))
  onBeforeUnmount(() => timer && clearInterval(timer))
  return now
}
