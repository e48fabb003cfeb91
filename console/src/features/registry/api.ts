// The registry's calls (typed by the generated client): grids, estates and their trees, people
// with their addresses, door rights and activation codes, and multi-address applications.
import { api, ok, type Schemas } from '@/api/client'
import { offsetPage } from '@/app/keyset'

export type Grid = Schemas['GridV1']
export type Estate = Schemas['EstateV1']
export type EstateTree = Schemas['EstateTreeV1']
export type PersonSummary = Schemas['PersonSummaryV1']
export type Person = Schemas['PersonV1']
export type PersonBody = Schemas['PersonBody']
export type Address = Schemas['AddressV1']
export type Application = Schemas['AddressApplicationV1']
export type ActivationCode = Schemas['ActivationCodeV1']

type Path = { community_id: string }
const at = (cid: string): { params: { path: Path } } => ({ params: { path: { community_id: cid } } })

// ---- grids ----------------------------------------------------------------------------------

export function listGrids(cid: string) {
  return ok(api.GET('/v1/communities/{community_id}/grids', at(cid)))
}

export function createGrid(cid: string, name: string, level: number, parentId: string | null) {
  return ok(api.POST('/v1/communities/{community_id}/grids', { ...at(cid), body: { name, level, parent_id: parentId } }))
}

// ---- estates → buildings → units → rooms ---------------------------------------------------

export function listEstates(cid: string) {
  return ok(api.GET('/v1/communities/{community_id}/estates', at(cid)))
}

export function estateTree(cid: string, estateId: string) {
  return ok(api.GET('/v1/communities/{community_id}/estates/{estate_id}', { params: { path: { community_id: cid, estate_id: estateId } } }))
}

export function createEstate(cid: string, body: { name: string; grid_id: string | null; lat: number | null; lon: number | null }) {
  return ok(api.POST('/v1/communities/{community_id}/estates', { ...at(cid), body }))
}

export function createBuilding(cid: string, estateId: string, name: string) {
  return ok(
    api.POST('/v1/communities/{community_id}/estates/{estate_id}/buildings', {
      params: { path: { community_id: cid, estate_id: estateId } },
      body: { name },
    }),
  )
}

export function createUnit(cid: string, buildingId: string, name: string) {
  return ok(
    api.POST('/v1/communities/{community_id}/buildings/{building_id}/units', {
      params: { path: { community_id: cid, building_id: buildingId } },
      body: { name },
    }),
  )
}

export function createRoom(cid: string, unitId: string, name: string) {
  return ok(
    api.POST('/v1/communities/{community_id}/units/{unit_id}/rooms', {
      params: { path: { community_id: cid, unit_id: unitId } },
      body: { name },
    }),
  )
}

// ---- people ---------------------------------------------------------------------------------

/** A page of people (offset-paged; see `offsetPage`). */
export function listPeople(cid: string, q: string, before: string | null, limit: number) {
  return offsetPage(before, limit, (offset) =>
    ok(
      api.GET('/v1/communities/{community_id}/people', {
        params: { path: { community_id: cid }, query: { q: q.trim() || null, limit, offset } },
      }),
    ),
  )
}

const personPath = (cid: string, pid: string) => ({ community_id: cid, person_id: pid })

/** One person; `reveal` (street accounts only) answers the ID number in full, and the server
 * records who looked. */
export function getPerson(cid: string, pid: string, reveal = false) {
  return ok(
    api.GET('/v1/communities/{community_id}/people/{person_id}', {
      params: { path: personPath(cid, pid), query: reveal ? { reveal: true } : {} },
    }),
  )
}

export function registerPerson(cid: string, body: PersonBody) {
  return ok(api.POST('/v1/communities/{community_id}/people', { ...at(cid), body }))
}

export function setEnabled(cid: string, pid: string, enabled: boolean) {
  return ok(api.PUT('/v1/communities/{community_id}/people/{person_id}/enabled', { params: { path: personPath(cid, pid) }, body: { enabled } }))
}

export function issueActivation(cid: string, pid: string) {
  return ok(api.POST('/v1/communities/{community_id}/people/{person_id}/activation', { params: { path: personPath(cid, pid) } }))
}

export function addAddress(cid: string, pid: string, roomId: string) {
  return ok(api.POST('/v1/communities/{community_id}/people/{person_id}/addresses', { params: { path: personPath(cid, pid) }, body: { room_id: roomId } }))
}

export function removeAddress(cid: string, pid: string, roomId: string) {
  return ok(
    api.DELETE('/v1/communities/{community_id}/people/{person_id}/addresses/{room_id}', {
      params: { path: { ...personPath(cid, pid), room_id: roomId } },
    }),
  )
}

// ---- multi-address applications ------------------------------------------------------------

/** A community's applications (rooms in it), or with `cid` null the street's cross-community
 * ones. The routes answer their whole list (newest first, at most 500), unpaged. */
export function listApplications(cid: string | null) {
  return cid
    ? ok(api.GET('/v1/communities/{community_id}/address-applications', at(cid)))
    : ok(api.GET('/v1/street/address-applications'))
}

export function decideApplication(cid: string | null, id: string, approve: boolean, note: string | null) {
  const body = { approve, note }
  return cid
    ? ok(
        api.POST('/v1/communities/{community_id}/address-applications/{application_id}/decide', {
          params: { path: { community_id: cid, application_id: id } },
          body,
        }),
      )
    : ok(api.POST('/v1/street/address-applications/{application_id}/decide', { params: { path: { application_id: id } }, body }))
}

export type StaffRights = Schemas['StaffRightsV1']

export function getStaffRights(cid: string, pid: string) {
  return ok(api.GET('/v1/communities/{community_id}/people/{person_id}/staff-rights', { params: { path: { community_id: cid, person_id: pid } } }))
}

export function putStaffRights(cid: string, pid: string, estateIds: string[]) {
  return ok(
    api.PUT('/v1/communities/{community_id}/people/{person_id}/staff-rights', {
      params: { path: { community_id: cid, person_id: pid } },
      body: { estate_ids: estateIds },
    }),
  )
}
