// The alarms feature's calls (typed by the generated client) and its live feed.
import { api, ok, withoutEmpty, type Schemas } from '@/api/client'

export type Alarm = Schemas['ManagedAlarmV1']
export type AlarmWithHistory = Schemas['ManagedAlarmWithHistoryV1']
export type FeedEvent = Schemas['AlarmFeedEventV1']

export interface AlarmFilters {
  status?: string
  kind?: string
  severity?: string
}

export function listAlarms(cid: string, f: AlarmFilters, before: string | null, limit: number) {
  return ok(
    api.GET('/v1/communities/{community_id}/alarms', {
      params: { path: { community_id: cid }, query: { ...withoutEmpty(f), before, limit } },
    }),
  )
}

export function getAlarm(cid: string, id: string) {
  return ok(api.GET('/v1/communities/{community_id}/alarms/{alarm_id}', { params: { path: { community_id: cid, alarm_id: id } } }))
}

export function ackAlarm(cid: string, id: string, comment: string) {
  return ok(
    api.POST('/v1/communities/{community_id}/alarms/{alarm_id}/ack', {
      params: { path: { community_id: cid, alarm_id: id } },
      body: { comment },
    }),
  )
}

export function clearAlarm(cid: string, id: string, comment: string) {
  return ok(
    api.POST('/v1/communities/{community_id}/alarms/{alarm_id}/clear', {
      params: { path: { community_id: cid, alarm_id: id } },
      body: { comment },
    }),
  )
}

/** Listen to the community's alarm feed; `onEvent` gets each event, `onState` whether the stream
 * is up. The browser reconnects by itself; returns the function that closes it. */
export function watchAlarms(cid: string, onEvent: (e: FeedEvent) => void, onState: (live: boolean) => void): () => void {
  const source = new EventSource(`/v1/communities/${encodeURIComponent(cid)}/alarms/feed`)
  source.addEventListener('alarms', (m) => {
    onState(true)
    onEvent(JSON.parse((m as MessageEvent<string>).data) as FeedEvent)
  })
  source.onerror = () => onState(false)
  return () => source.close()
}

