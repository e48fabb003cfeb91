// Staff accounts (street only): list, create, disable.
import { api, ok, withoutEmpty, type Schemas } from '@/api/client'

export type StaffAccount = Schemas['StaffAccountRowV1']
export type StaffBody = Schemas['StaffBody']

/** The staff roles an account can have, in the order the form offers them. */
export const STAFF_ROLES = ['community_staff', 'street_admin', 'field_staff', 'seat_operator', 'co_handler', 'dispatcher'] as const

export interface AccountFilters {
  q?: string
  role?: string
  community_id?: string
  enabled?: '' | 'true' | 'false'
}

/** A page of accounts. The route pages by offset; the pager walks it with the next offset as
 * its cursor (there is a next page when this one came back full). */
export async function listAccounts(f: AccountFilters, before: string | null, limit: number) {
  const offset = before ? Number(before) : 0
  const { enabled, ...rest } = f
  const page = await ok(
    api.GET('/v1/street/accounts', {
      params: { query: { ...withoutEmpty({ ...rest, q: rest.q?.trim() }), enabled: enabled ? enabled === 'true' : null, limit, offset } },
    }),
  )
  return { items: page.items, next: page.items.length === limit ? String(offset + limit) : null }
}

export function createAccount(body: StaffBody) {
  return ok(api.POST('/v1/street/accounts', { body }))
}

export function disableAccount(id: string) {
  return ok(api.POST('/v1/street/accounts/{account_id}/disable', { params: { path: { account_id: id } } }))
}

export function listCommunities() {
  return ok(api.GET('/v1/street/communities'))
}
