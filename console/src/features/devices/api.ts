// The devices feature's calls (typed by the generated client): the device tree and its records,
// edge boxes with their one-time provisioning codes, and doors with their modes.
import { api, ok, type Schemas } from '@/api/client'

export type TreeEstate = Schemas['TreeEstateV1']
export type TreeDevice = Schemas['DeviceInTreeV1']
export type DeviceDetail = Schemas['DeviceDetailV1']
export type DeviceBody = Schemas['DeviceBody']
export type DeviceRecord = Schemas['DeviceRecordV1']
export type RecordBody = Schemas['RecordBody']
export type EdgeBox = Schemas['BoxV1']
export type BoxCreated = Schemas['BoxCreatedV1']
export type Door = Schemas['DoorV1']
export type DoorBody = Schemas['DoorBody']
export type Estate = Schemas['EstateV1']
export type EstateTree = Schemas['EstateTreeV1']
export type PointValue = Schemas['PointValueV1']

export interface TreeFilters {
  kind: string
  removed: boolean
}

export function deviceTree(cid: string, f: TreeFilters) {
  return ok(
    api.GET('/v1/communities/{community_id}/devices/tree', {
      params: { path: { community_id: cid }, query: { kind: f.kind || null, removed: f.removed } },
    }),
  )
}

export function getDevice(cid: string, id: string) {
  return ok(api.GET('/v1/communities/{community_id}/devices/{device_id}', { params: { path: { community_id: cid, device_id: id } } }))
}

export function createDevice(cid: string, body: DeviceBody) {
  return ok(api.POST('/v1/communities/{community_id}/devices', { params: { path: { community_id: cid } }, body }))
}

export function updateDevice(cid: string, id: string, body: DeviceBody) {
  return ok(api.PUT('/v1/communities/{community_id}/devices/{device_id}', { params: { path: { community_id: cid, device_id: id } }, body }))
}

export function removeDevice(cid: string, id: string) {
  return ok(api.DELETE('/v1/communities/{community_id}/devices/{device_id}', { params: { path: { community_id: cid, device_id: id } } }))
}

export function listRecords(cid: string, id: string, limit: number) {
  return ok(
    api.GET('/v1/communities/{community_id}/devices/{device_id}/records', {
      params: { path: { community_id: cid, device_id: id }, query: { limit } },
    }),
  )
}

export function addRecord(cid: string, id: string, body: RecordBody) {
  return ok(
    api.POST('/v1/communities/{community_id}/devices/{device_id}/records', {
      params: { path: { community_id: cid, device_id: id } },
      body,
    }),
  )
}

export function listBoxes(cid: string) {
  return ok(api.GET('/v1/communities/{community_id}/boxes', { params: { path: { community_id: cid } } }))
}

export function createBox(cid: string, estateId: string, name: string) {
  return ok(api.POST('/v1/communities/{community_id}/boxes', { params: { path: { community_id: cid } }, body: { estate_id: estateId, name } }))
}

export function newBoxCode(cid: string, boxId: string) {
  return ok(api.POST('/v1/communities/{community_id}/boxes/{box_id}/code', { params: { path: { community_id: cid, box_id: boxId } } }))
}

export function revokeBox(cid: string, boxId: string) {
  return ok(api.POST('/v1/communities/{community_id}/boxes/{box_id}/revoke', { params: { path: { community_id: cid, box_id: boxId } } }))
}

export function listDoors(cid: string) {
  return ok(api.GET('/v1/communities/{community_id}/doors', { params: { path: { community_id: cid } } }))
}

export function createDoor(cid: string, body: DoorBody) {
  return ok(api.POST('/v1/communities/{community_id}/doors', { params: { path: { community_id: cid } }, body }))
}

export function setDoorMode(cid: string, doorId: string, mode: string) {
  return ok(
    api.PUT('/v1/communities/{community_id}/doors/{door_id}/mode', {
      params: { path: { community_id: cid, door_id: doorId } },
      body: { mode },
    }),
  )
}

export function listEstates(cid: string) {
  return ok(api.GET('/v1/communities/{community_id}/estates', { params: { path: { community_id: cid } } }))
}

export function estateTree(cid: string, estateId: string) {
  return ok(api.GET('/v1/communities/{community_id}/estates/{estate_id}', { params: { path: { community_id: cid, estate_id: estateId } } }))
}

/** A one-time provisioning code while its dialog is open (never kept anywhere else). */
export interface ShownCode {
  boxName: string
  code: string
  expiresAtMs: number
}

export type BoxConfigView = Schemas['BoxConfigViewV1']
export type BoxSections = Schemas['BoxSectionsV1']

export function getBoxConfig(cid: string, boxId: string) {
  return ok(api.GET('/v1/communities/{community_id}/boxes/{box_id}/config', { params: { path: { community_id: cid, box_id: boxId } } }))
}

export function putBoxConfig(cid: string, boxId: string, expectedRevision: number, sections: BoxSections) {
  return ok(
    api.PUT('/v1/communities/{community_id}/boxes/{box_id}/config', {
      params: { path: { community_id: cid, box_id: boxId } },
      body: { expected_revision: expectedRevision, sections },
    }),
  )
}
