import { api, ok, type Schemas } from '@/api/client'

export type Overview = Schemas['OverviewV1']

export function getOverview(cid: string, sinceMs: number) {
  return ok(api.GET('/v1/communities/{community_id}/overview', { params: { path: { community_id: cid }, query: { since_ms: sinceMs } } }))
}
