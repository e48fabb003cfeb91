// Staff accounts (street only): list, create, disable.
import { api, ok, withoutEmpty, type Schemas } from '@/api/client'
import { offsetPage } from '@/app/keyset'

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

/** A page of accounts (offset-paged; see `offsetPage`). */
export function listAccounts(f: AccountFilters, before: string | null, limit: number) {
  const { enabled, ...rest } = f
  return offsetPage(before, limit, (offset) =>
    ok(
      api.GET('/v1/street/accounts', {
        params: { query: { ...withoutEmpty({ ...rest, q: rest.q?.trim() }), enabled: enabled ? enabled === 'true' : null, limit, offset } },
      }),
    ),
  )
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
