// Where a room is, in words: "estate / building / unit / room", from the estate trees of a
// community (the application and address answers carry only ids). Each community's trees are
// read once per page.
import { shallowRef } from 'vue'
import { estateTree, listEstates, type EstateTree } from './api'

export interface Place {
  estate: string
  building: string
  unit: string
  room: string
}

export function placeText(p: Place): string {
  return `${p.estate} / ${p.building} / ${p.unit} / ${p.room}`
}

/** Every room of the trees, by id. */
export function placesOf(trees: EstateTree[]): Map<string, Place> {
  const m = new Map<string, Place>()
  for (const e of trees)
    for (const b of e.buildings)
      for (const u of b.units)
        for (const r of u.rooms) m.set(r.id, { estate: e.name, building: b.name, unit: u.name, room: r.name })
  return m
}

export async function communityTrees(cid: string): Promise<EstateTree[]> {
  const estates = (await listEstates(cid)).items
  return Promise.all(estates.map((e) => estateTree(cid, e.id)))
}

/** Rooms of the communities asked for so far; `label` answers null until it knows the room. */
export function useRoomPlaces() {
  const places = shallowRef(new Map<string, Place>())
  const asked = new Map<string, Promise<void>>()

  function load(cid: string): Promise<void> {
    let p = asked.get(cid)
    if (!p) {
      p = communityTrees(cid)
        .then((trees) => {
          places.value = new Map([...places.value, ...placesOf(trees)])
        })
        .catch(() => {
          // Names are a help; without them the room's own name or id shows.
          asked.delete(cid)
        })
      asked.set(cid, p)
    }
    return p
  }

  function label(roomId: string): string | null {
    const p = places.value.get(roomId)
    return p ? placeText(p) : null
  }

  return { places, load, label }
}
