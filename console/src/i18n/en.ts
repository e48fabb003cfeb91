import type zh from './zh-CN'

const en: typeof zh = {
  app: { menu: 'Main menu', title: 'Community back office', street: 'Street', language: 'Language', logout: 'Sign out', community: 'Community', loading: 'Loading…', empty: 'No data', retry: 'Retry' },
  menu: { overview: 'Overview', access: 'Access', safety: 'Safety', registry: 'Registry', cases: 'Cases', street: 'Street' },
  forbidden: { title: 'Not allowed', page: 'Your account may not open this page.', community: 'This community is outside your account\'s scope.', back: 'Back to home' },
  notFound: { title: 'No such page', back: 'Back to home' },
  paging: { prev: 'Previous', next: 'Next', size: 'Per page' },
  actions: { search: 'Search', reset: 'Reset', confirm: 'OK', cancel: 'Cancel', close: 'Close', refresh: 'Refresh', detail: 'Details' },
  errors: {
    network: 'Cannot reach the server; check the network and try again.',
    unauthenticated: 'Your session has ended; please sign in again.',
    forbidden: 'Your account may not do this.',
    csrf_failed: 'This page is out of date; reload it and try again.',
    too_many_attempts: 'Too many attempts; try again later.',
    not_found: 'The record does not exist or was deleted.',
    revision_conflict: 'Someone changed this since you opened it: reopen it and make the change again.',
    box_revoked: 'This box is revoked.',
    invalid_field: 'Please check: {field}',
    generic: 'Failed: {message}',
  },
  time: { range: 'Time range', from: 'From', to: 'To' },
  bool: { yes: 'Yes', no: 'No' },
}
export default en
