// The cases feature's calls (typed by the generated client): lists, one case with its history,
// workflow operations, duplicate candidates, reports, uploads, the category tree, grids and the
// accounts that work cases, an alarm's case, and the addresses of the exports (downloads the
// browser fetches with the session cookie).
import { api, ok, withoutEmpty, type Schemas } from '@/api/client'

export type CaseRow = Schemas['CaseRowV1']
export type CaseDetail = Schemas['CaseDetailV1']
export type CaseView = Schemas['CaseV1']
export type CaseOp = Schemas['CaseOp']
export type OpKind = Schemas['OpKind']
export type CaseStatus = Schemas['CaseStatus']
export type Source = Schemas['Source']
export type Severity = Schemas['Severity']
export type UnitKind = Schemas['UnitKind']
export type CaseRole = Schemas['CaseRole']
export type HistoryEntry = Schemas['HistoryEntry']
export type CaseEvent = Schemas['CaseEvent']
export type DupMatch = Schemas['DupMatch']
export type DupReason = Schemas['DupReason']
export type Attachment = Schemas['AttachmentV1']
export type AttachmentRef = Schemas['AttachmentRefInput']
export type Assignee = Schemas['AssigneeInput']
export type CategoryTree = Schemas['CategoryTree']
export type CategoryNode = Schemas['CategoryNodeInput']
export type CategoryPath = Schemas['CategoryPath']
export type Grid = Schemas['GridV1']
export type ReportBody = Schemas['ReportBody']
export type FromAlarmBody = Schemas['FromAlarmBody']
export type CaseWorker = Schemas['CaseWorkerV1']
export type AccountRole = Schemas['Role']

/** Grid levels as a form holds them ('' = not chosen). */
export interface GridChoice {
  level1: string
  level2: string
  level3: string
}

/** The grid path a report or an alarm's case takes from the form's choice. */
export function gridPath(g: GridChoice): Schemas['GridPathInput'] {
  return { level1: g.level1.trim(), level2: g.level2.trim() || null, level3: g.level3.trim() || null }
}

/** The list filters the API takes (besides paging), all optional; also the URL query. */
export interface CaseFilters {
  view?: string
  status?: string
  source?: string
  handling_kind?: string
  unit?: string
  number?: string
  grid?: string
  category?: string
  keyword?: string
  timeliness?: string
  from_ms?: number
  to_ms?: number
}

export const FILTER_KEYS = ['view', 'status', 'source', 'handling_kind', 'unit', 'number', 'grid', 'category', 'keyword', 'timeliness', 'from_ms', 'to_ms'] as const

export function listCases(cid: string, f: CaseFilters, before: string | null, limit: number) {
  return ok(
    api.GET('/v1/communities/{community_id}/cases', {
      params: { path: { community_id: cid }, query: { ...withoutEmpty(f), before, limit } },
    }),
  )
}

/** The .xlsx of a list: the same view and filters, no paging. */
export function xlsxUrl(cid: string, f: CaseFilters): string {
  const q = new URLSearchParams()
  for (const [k, v] of Object.entries(withoutEmpty(f))) q.set(k, String(v))
  const s = q.toString()
  return `/v1/communities/${encodeURIComponent(cid)}/cases/export.xlsx${s ? '?' + s : ''}`
}

export function docxUrl(cid: string, id: string): string {
  return `/v1/communities/${encodeURIComponent(cid)}/cases/${encodeURIComponent(id)}/export.docx`
}

export function printUrl(cid: string, id: string): string {
  return `/v1/communities/${encodeURIComponent(cid)}/cases/${encodeURIComponent(id)}/print`
}

/** Where the browser loads an uploaded file from (the session cookie authorises it). */
export function attachmentUrl(cid: string, id: string): string {
  return `/v1/communities/${encodeURIComponent(cid)}/attachments/${encodeURIComponent(id)}`
}

export function getCase(cid: string, id: string) {
  return ok(api.GET('/v1/communities/{community_id}/cases/{case_id}', { params: { path: { community_id: cid, case_id: id } } }))
}

export function duplicates(cid: string, id: string) {
  return ok(api.GET('/v1/communities/{community_id}/cases/{case_id}/duplicates', { params: { path: { community_id: cid, case_id: id } } }))
}

export function operate(cid: string, id: string, op: CaseOp) {
  return ok(
    api.POST('/v1/communities/{community_id}/cases/{case_id}/ops', {
      params: { path: { community_id: cid, case_id: id } },
      body: op,
    }),
  )
}

export function report(cid: string, body: ReportBody) {
  return ok(api.POST('/v1/communities/{community_id}/cases', { params: { path: { community_id: cid } }, body }))
}

export function caseFromAlarm(cid: string, alarmId: string, body: FromAlarmBody) {
  return ok(
    api.POST('/v1/communities/{community_id}/alarms/{alarm_id}/case', {
      params: { path: { community_id: cid, alarm_id: alarmId } },
      body,
    }),
  )
}

export function upload(cid: string, file: File) {
  return ok(
    api.POST('/v1/communities/{community_id}/attachments', {
      params: { path: { community_id: cid }, query: { name: file.name } },
      // The route takes the file's raw bytes with its own content type; the generated type
      // names a binary body `string`, so the File goes through as it is.
      body: file as unknown as string,
      bodySerializer: (b: unknown) => b as File,
      headers: { 'content-type': file.type },
    }),
  )
}

export function getCategories(cid: string) {
  return ok(api.GET('/v1/communities/{community_id}/case-categories', { params: { path: { community_id: cid } } }))
}

export function listGrids(cid: string) {
  return ok(api.GET('/v1/communities/{community_id}/grids', { params: { path: { community_id: cid } } }))
}

/** The accounts that can appear in this community's cases (names for ids, whom to pick). */
export function listCaseWorkers(cid: string) {
  return ok(api.GET('/v1/communities/{community_id}/case-workers', { params: { path: { community_id: cid } } }))
}

/** One alarm (for the case it became: `case_id`). */
export function getAlarm(cid: string, alarmId: string) {
  return ok(api.GET('/v1/communities/{community_id}/alarms/{alarm_id}', { params: { path: { community_id: cid, alarm_id: alarmId } } }))
}
