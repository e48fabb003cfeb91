// The accounts that work this community's cases (`GET …/case-workers`), read once per page and
// shared with the page's components: user names (with their role in words) where the case API
// gives account ids, and the enabled accounts an operation may name, for its pickers.
import { inject, provide, shallowRef, watch, type InjectionKey, type ShallowRef } from 'vue'
import { i18n } from '@/i18n'
import { errorMessage } from '@/app/errors'
import { useSession } from '@/app/session'
import { listCaseWorkers, type AccountRole, type CaseWorker } from './api'
import { shortId, word } from './labels'

export interface CaseWorkers {
  list: ShallowRef<CaseWorker[]>
  /** Why the accounts could not be listed. */
  error: ShallowRef<string | null>
  /** The user name ("admin（我）" for the signed-in account), or "账号 …1a2b3c4d" for an id the
   *  list does not hold. */
  name: (id: string | null | undefined) => string
  /** The name with the account's role in words ("zhang · 工作端人员"), and "已停用" for a
   *  disabled account. */
  label: (id: string | null | undefined) => string
  /** The enabled accounts of `roles`, grouped in the order of `roles`, by user name; `exclude`
   *  leaves out accounts the operation cannot take again. */
  pick: (roles: readonly AccountRole[], exclude?: readonly (string | null | undefined)[]) => CaseWorker[]
}

const KEY: InjectionKey<CaseWorkers> = Symbol('case-workers')

function make(list: ShallowRef<CaseWorker[]>, error: ShallowRef<string | null>): CaseWorkers {
  const s = useSession()
  const { t } = i18n.global
  const find = (id: string) => list.value.find((w) => w.id === id)
  function name(id: string | null | undefined): string {
    if (!id) return '—'
    const me = s.session && id === s.session.account.id
    const w = find(id)
    if (me) return t('cases.meName', { name: w?.username ?? s.session?.username ?? '' })
    return w ? w.username : t('cases.account', { id: shortId(id) })
  }
  function label(id: string | null | undefined): string {
    if (!id) return '—'
    const w = find(id)
    const role = w?.role ?? (s.session && id === s.session.account.id ? s.session.account.role : null)
    const base = role ? t('cases.nameRole', { name: name(id), role: word('role', role) }) : name(id)
    return w && !w.enabled ? t('cases.disabled', { name: base }) : base
  }
  function pick(roles: readonly AccountRole[], exclude: readonly (string | null | undefined)[] = []): CaseWorker[] {
    return list.value
      .filter((w) => w.enabled && roles.includes(w.role) && !exclude.includes(w.id))
      .sort((a, b) => roles.indexOf(a.role) - roles.indexOf(b.role) || a.username.localeCompare(b.username))
  }
  return { list, error, name, label, pick }
}

/** For a page: reads the accounts when the page opens and when it moves to another community,
 *  and hands them to the page's components. */
export function provideCaseWorkers(cid: () => string | null): CaseWorkers {
  const list = shallowRef<CaseWorker[]>([])
  const error = shallowRef<string | null>(null)
  watch(
    cid,
    (c) => {
      if (!c) return
      listCaseWorkers(c)
        .then((r) => {
          list.value = r.items
          error.value = null
        })
        .catch((e) => {
          list.value = []
          error.value = errorMessage(e)
        })
    },
    { immediate: true },
  )
  const w = make(list, error)
  provide(KEY, w)
  return w
}

/** For a component of a case page: the page's accounts (without a page that provides them,
 *  none: ids are shown short). */
export function useCaseWorkers(): CaseWorkers {
  return inject(KEY, null) ?? make(shallowRef([]), shallowRef(null))
}

/** Whom an operation may name (the server checks it again: `check_op_refs`), most usual first. */
export const PICK_ROLES = {
  dispatcher: ['dispatcher'],
  handler: ['field_staff', 'community_staff', 'co_handler'],
  coHandler: ['co_handler'],
  inspector: ['community_staff', 'field_staff', 'street_admin'],
} as const satisfies Record<string, readonly AccountRole[]>

/** The unit type an account of a role usually works as (a suggestion the form may change). */
export function unitKindOf(role: AccountRole): 'grid_worker' | 'community_worker' | 'street_staff' | null {
  switch (role) {
    case 'field_staff':
      return 'grid_worker'
    case 'community_staff':
      return 'community_worker'
    case 'street_admin':
    case 'dispatcher':
      return 'street_staff'
    default:
      return null
  }
}
