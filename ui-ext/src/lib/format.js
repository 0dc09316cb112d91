// Plain formatting for tables and the timeline.

export function bytes(n) {
  if (n === null || n === undefined || Number.isNaN(n)) return '—'
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB']
  let v = n
  let u = 0
  while (Math.abs(v) >= 1024 && u < units.length - 1) { v /= 1024; u++ }
  return `${u === 0 ? v : v.toFixed(1)} ${units[u]}`
}

/** CloudStack's dates (2026-01-31T12:00:00+0000) as milliseconds; null for none. */
export function parseDate(s) {
  if (!s) return null
  const ms = Date.parse(s.replace(/([+-]\d\d)(\d\d)$/, '$1:$2'))
  return Number.isNaN(ms) ? null : ms
}

export function dateTime(s) {
  const ms = parseDate(s)
  return ms === null ? '—' : new Date(ms).toLocaleString()
}

export function seconds(ms) {
  if (ms === null || ms === undefined || Number.isNaN(ms)) return '—'
  return `${(ms / 1000).toFixed(1)} s`
}

/** A VM as the protocol numbers it, with the start of its uuid. */
export function vmLabel(member) {
  return member ? `VM ${member.number}` : '?'
}

export function shortId(id) {
  return id ? String(id).slice(0, 8) : '—'
}
