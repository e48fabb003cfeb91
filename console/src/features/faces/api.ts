// Face review's calls (typed by the generated client).
import { api, ok, withoutEmpty, type Schemas } from '@/api/client'

export type FacePhoto = Schemas['FaceReviewPhotoV1']
export type PersonSummary = Schemas['PersonSummaryV1']

export function listPhotos(cid: string, status: string, before: string | null, limit: number) {
  return ok(
    api.GET('/v1/communities/{community_id}/face-photos', {
      params: { path: { community_id: cid }, query: { ...withoutEmpty({ status }), before, limit } },
    }),
  )
}

/** Where the browser loads a photo from (the session cookie authorises it; CSP allows 'self'). */
export function imageUrl(cid: string, photoId: string): string {
  return `/v1/communities/${encodeURIComponent(cid)}/face-photos/${encodeURIComponent(photoId)}/image`
}

export function findPeople(cid: string, q: string) {
  return ok(api.GET('/v1/communities/{community_id}/people', { params: { path: { community_id: cid }, query: { q, limit: 20 } } }))
}

export function uploadPhoto(cid: string, personId: string, file: File) {
  return ok(
    api.POST('/v1/communities/{community_id}/people/{person_id}/face-photos', {
      params: { path: { community_id: cid, person_id: personId } },
      // The route takes the image's raw bytes with its own content type; the generated type
      // names a binary body `string`, so the File goes through as it is.
      body: file as unknown as string,
      bodySerializer: (b: unknown) => b as File,
      headers: { 'content-type': file.type },
    }),
  )
}

export function recordConsent(cid: string, personId: string, note: string) {
  return ok(
    api.PUT('/v1/communities/{community_id}/people/{person_id}/face-consent', {
      params: { path: { community_id: cid, person_id: personId } },
      body: { given: true, note },
    }),
  )
}

export function approvePhoto(cid: string, id: string) {
  return ok(api.POST('/v1/communities/{community_id}/face-photos/{photo_id}/approve', { params: { path: { community_id: cid, photo_id: id } } }))
}

export function rejectPhoto(cid: string, id: string, note: string) {
  return ok(
    api.POST('/v1/communities/{community_id}/face-photos/{photo_id}/reject', {
      params: { path: { community_id: cid, photo_id: id } },
      body: { note },
    }),
  )
}

export function deletePhoto(cid: string, id: string) {
  return ok(api.DELETE('/v1/communities/{community_id}/face-photos/{photo_id}', { params: { path: { community_id: cid, photo_id: id } } }))
}
