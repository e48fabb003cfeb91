// Codes of the cases API in words, which views, sources and fields suit which role, and the names
// of categories and grids.
import { shallowRef, watch, type ShallowRef } from 'vue'
import { i18n } from '@/i18n'
import { ApiError } from '@/api/client'
import { errorMessage } from '@/app/errors'
import { getCategories, listGrids, type CaseRole, type CategoryPath, type CategoryTree, type Grid, type Source } from './api'

type TagType = 'primary' | 'success' | 'warning' | 'info' | 'danger'

/** The word for `code` under `cases.<group>`, or the code itself when the console has none. */
export function word(group: string, code: string | null | undefined): string {
  if (code === null || code === undefined || code === '') return '—'
  const key = `cases.${group}.${code}`
  return i18n.global.te(key) ? i18n.global.t(key) : code
}

export const STATUSES = ['pending', 'filed', 'handling', 'inspection', 'closed', 'voided'] as const
export const SOURCES: Source[] = ['resident_report', 'snap_and_report', 'hotline_12345', 'video_monitoring', 'staff', 'seat_operator', 'warning', 'suggestion', 'edge_alarm']
export const UNIT_KINDS = ['internal_department', 'city_bureau', 'grid_office', 'neighbourhood_committee', 'grid_worker', 'street_staff', 'community_worker', 'volunteer'] as const
export const SEVERITIES = ['minor', 'moderate', 'major', 'critical'] as const

export function statusType(s: string): TagType {
  switch (s) {
    case 'pending':
      return 'warning'
    case 'filed':
      return 'primary'
    case 'handling':
    case 'inspection':
      return 'primary'
    case 'closed':
      return 'success'
    default:
      return 'info'
  }
}

export function timelinessType(t: string): TagType {
  return t === 'overdue' ? 'danger' : t === 'due_soon' ? 'warning' : t === 'on_time' ? 'success' : 'info'
}

export function severityType(s: string): TagType {
  return s === 'critical' ? 'danger' : s === 'major' ? 'warning' : s === 'moderate' ? 'primary' : 'info'
}

/** The list views that mean something for a role (the API takes every view from everyone, but
 *  "my dispatch tasks" is empty for anyone who is not a dispatcher, and so on). */
export function viewsFor(role: string | undefined): string[] {
  switch (role) {
    case 'street_admin':
    case 'community_staff':
      return ['all', 'pending', 'finished', 'mine', 'self_handled', 'supervision']
    case 'field_staff':
      return ['all', 'pending', 'finished', 'mine', 'self_handled', 'supervision']
    case 'seat_operator':
      return ['all', 'pending', 'finished']
    case 'dispatcher':
      return ['all', 'dispatch', 'mine', 'finished']
    case 'co_handler':
      return ['all', 'co_handling', 'mine', 'finished']
    default:
      return ['all']
  }
}

/** The sources a role may report from (the case core's `Source::allowed_for`). */
export function sourcesFor(role: string | undefined): Source[] {
  switch (role) {
    case 'street_admin':
    case 'community_staff':
      return SOURCES.filter((s) => s !== 'edge_alarm')
    case 'field_staff':
      return ['staff', 'snap_and_report']
    case 'seat_operator':
      return ['hotline_12345', 'seat_operator', 'video_monitoring']
    default:
      return []
  }
}

/** Staff who may make supervision reports and handle a case themselves. */
export function isStaffReporter(role: string | undefined): boolean {
  return role === 'street_admin' || role === 'community_staff' || role === 'field_staff'
}

export function roleWord(role: CaseRole | string): string {
  return word('role', role)
}

/** An account shown where only its id is known: the last characters of the id. */
export function shortId(id: string | null | undefined): string {
  if (!id) return '—'
  return id.length > 8 ? '…' + id.slice(-8) : id
}

// ---- refusals in words ------------------------------------------------------------------------

/** A refusal of the cases API in words: the field named in the form's words (`group` is where
 *  the feature keeps them: `opField` or `form.field`), the workflow's own refusals explained. */
export function caseError(e: unknown, group: 'opField' | 'form.field'): string {
  const { t, te } = i18n.global
  if (!(e instanceof ApiError)) return errorMessage(e)
  switch (e.code) {
    case 'likely_duplicate':
      return t('cases.errors.likely_duplicate', { numbers: /case (.+?);/.exec(e.message)?.[1] ?? '' })
    case 'illegal_transition':
    case 'case_changed':
      return t('cases.errors.' + e.code)
    case 'case_conflict':
      return t('cases.errors.case_conflict', { message: e.message })
  }
  if (e.field) {
    const key = `cases.${group}.` + e.field.replace(/\[\d+\]/g, '').replace(/\.id$/, '').replace(/\./g, '_')
    return t('cases.errors.field', { field: te(key) ? t(key) : e.field, message: e.message })
  }
  return errorMessage(e)
}

// ---- categories and grids ------------------------------------------------------------------

export interface CaseRefs {
  tree: ShallowRef<CategoryTree | null>
  grids: ShallowRef<Grid[]>
  /** Why grids could not be listed. */
  gridsError: ShallowRef<string | null>
  /** The grid list has been answered (with grids, none, or a refusal). */
  gridsLoaded: ShallowRef<boolean>
  /** The names of a category path, major → middle → minor (codes where the tree has none). */
  categoryNames: (p: CategoryPath) => [string, string, string]
  gridName: (id: string | null | undefined) => string
  /** Every grid in tree order (each level-1 grid, then its level-2 ones, each followed by its
   *  level-3 ones), named by its whole path. */
  gridPaths: () => { id: string; level: number; path: string }[]
}

/** The community's category tree and grids, loaded when a page opens and again when the page
 *  moves to another community (not while `cid` gives null). */
export function useCaseRefs(cid: () => string | null): CaseRefs {
  const tree = shallowRef<CategoryTree | null>(null)
  const grids = shallowRef<Grid[]>([])
  const gridsError = shallowRef<string | null>(null)
  const gridsLoaded = shallowRef(false)
  function categoryNames(p: CategoryPath): [string, string, string] {
    const major = tree.value?.majors.find((n) => n.code === p.major)
    const middle = major?.children.find((n) => n.code === p.middle)
    const minor = middle?.children.find((n) => n.code === p.minor)
    return [major?.name ?? p.major, middle?.name ?? p.middle, minor?.name ?? p.minor]
  }
  function gridName(id: string | null | undefined): string {
    if (!id) return '—'
    return grids.value.find((g) => g.id === id)?.name ?? shortId(id)
  }
  function gridPaths(): { id: string; level: number; path: string }[] {
    const out: { id: string; level: number; path: string }[] = []
    const byName = (a: Grid, b: Grid) => a.name.localeCompare(b.name)
    const walk = (parent: string | null, level: number, prefix: string) => {
      for (const g of grids.value.filter((x) => x.level === level && (level === 1 || x.parent_id === parent)).sort(byName)) {
        const path = prefix ? `${prefix} / ${g.name}` : g.name
        out.push({ id: g.id, level, path })
        if (level < 3) walk(g.id, level + 1, path)
      }
    }
    walk(null, 1, '')
    return out
  }
  watch(
    cid,
    (c) => {
      if (!c) return
      getCategories(c)
        .then((t) => (tree.value = t))
        .catch(() => (tree.value = null))
      gridsError.value = null
      listGrids(c)
        .then((g) => (grids.value = g.items))
        .catch((e) => {
          grids.value = []
          gridsError.value = i18n.global.t('cases.form.gridsFailed', { error: errorMessage(e) })
        })
        .finally(() => (gridsLoaded.value = true))
    },
    { immediate: true },
  )
  return { tree, grids, gridsError, gridsLoaded, categoryNames, gridName, gridPaths }
}
