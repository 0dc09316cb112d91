// One row per recovery event, with the names an admin reads (group, host, VM numbers) and the two times:
// detection (the failed host last heard, i.e. its lease end minus the lease, to the recovery's start) and
// recovery (start to end, as the manager recorded it).
import { parseDate } from './format.js'

export function recoveryRows({ groups = [], eventsByGroup = {}, hosts = [] }) {
  const rows = []
  for (const group of groups) {
    const members = group.vm ?? []
    for (const e of eventsByGroup[group.id] ?? []) {
      const host = hosts.find((h) => h.id === e.failedid)
      const vm = members.find((m) => m.virtualmachineid === e.failedid)
      rows.push({
        key: e.id,
        groupName: group.name,
        groupId: group.id,
        failureKind: e.failurekind,
        failed: host ? `host ${host.name}` : vm ? `VM ${vm.number}` : e.failedid === group.id ? 'group (admin)' : e.failedid,
        lineIndex: e.lineindex ?? null,
        rolledBack: (e.rolledback ?? []).map((id) => members.find((m) => m.virtualmachineid === id)?.number ?? id),
        replayed: e.replayedmessages ?? 0,
        state: e.state,
        outcome: e.outcome ?? '',
        started: e.started,
        detectionMs: detectionMs(e, host),
        recoveryMs: e.duration ?? null,
      })
    }
  }
  return rows.sort((a, b) => (parseDate(b.started) ?? 0) - (parseDate(a.started) ?? 0))
}

/** Known only while the host is still the failed one (not re-registered since: its lease end is that of the failure). */
function detectionMs(event, host) {
  if (!host || host.leasestate !== 'FAILED' || !host.leaseduration) return null
  const lastHeard = parseDate(host.leaseend) - host.leaseduration
  const started = parseDate(event.started)
  if (started === null || Number.isNaN(lastHeard) || started < lastHeard) return null
  return started - lastHeard
}
