import { api, ok, withoutEmpty, type Schemas } from '@/api/client'

export type Pass = Schemas['PassLogV1']
export type Estate = Schemas['EstateV1']
export type Door = Schemas['DoorV1']

export interface PassFilters {
  estate_id?: string
  door_id?: string
  person_id?: string
  method?: string
  allowed?: boolean
  from_ms?: number
  to_ms?: number
}

export function listPasses(cid: string, f: PassFilters, before: string | null, limit: number) {
  return ok(api.GET('/v1/communities/{community_id}/passes', { params: { path: { community_id: cid }, query: { ...withoutEmpty(f), before, limit } } }))
}

export async function listEstates(cid: string): Promise<Estate[]> {
  const r = await ok(api.GET('/v1/communities/{community_id}/estates', { params: { path: { community_id: cid } } }))
  return r.items
}

export async function listDoors(cid: string): Promise<Door[]> {
  const r = await ok(api.GET('/v1/communities/{community_id}/doors', { params: { path: { community_id: cid } } }))
  return r.items
}

/** The thumbnail's address (the browser sends the session cookie with it; viewing is logged). */
export function thumbnailUrl(cid: string, passId: string): string {
  return `/v1/communities/${encodeURIComponent(cid)}/passes/${encodeURIComponent(passId)}/thumbnail`
}

export type StaffVisit = Schemas['StaffVisitV1']

export interface VisitFilters {
  estate_id?: string
  status?: string
  from_ms?: number
  to_ms?: number
}

export function listVisits(cid: string, f: VisitFilters, before: string | null, limit: number) {
  return ok(api.GET('/v1/communities/{community_id}/visits', { params: { path: { community_id: cid }, query: { ...withoutEmpty(f), before, limit } } }))
}
