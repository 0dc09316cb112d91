// A running group as the API lists it: 3 VMs (SI, MI_2, SI) on two hosts, T0 2 s, started at 12:00:00.
export const START = Date.parse('2026-01-31T12:00:00Z')
const at = (index) => new Date(START + index * 2000).toISOString().replace(/\.\d+Z$/, '+0000')

export const hosts = [
  { id: 'h-1', name: 'h1', state: 'Up', leasestate: 'ACTIVE', epoch: 0, leaseend: at(20), leaseduration: 3000 },
  { id: 'h-2', name: 'h2', state: 'Down', leasestate: 'FAILED', epoch: 1, leaseend: at(9), leaseduration: 3000 },
]

export const group = {
  id: 'g-1', name: 'web', baseperiod: 2000, recoverypolicy: 'AUTOMATIC', lineindex: 6, state: 'Enabled',
  created: at(-5), started: at(0), vmcount: 3,
  vm: [
    { id: 'm-2', virtualmachineid: 'vm-c', number: 2, vmclass: 'SI', hostid: 'h-1', incarnation: 1 },
    { id: 'm-0', virtualmachineid: 'vm-a', number: 0, vmclass: 'SI', hostid: 'h-1', incarnation: 1 },
    { id: 'm-1', virtualmachineid: 'vm-b', number: 1, vmclass: 'MI_2', hostid: 'h-2', incarnation: 0 },
  ],
}

const cp = (vm, index, state, { forced = false, size = 1000, host = vm === 'vm-b' ? 'h-2' : 'h-1' } = {}) =>
  ({ id: `${vm}-${index}`, virtualmachineid: vm, index, incarnation: 0, forced, state, size, created: at(index),
    ...(host ? { hostid: host } : {}) })

// vm-a's checkpoint 7 was taken on h-2 (its first there: a full pass); vm-c's predates hosts per checkpoint.
export const checkpoints = [
  cp('vm-a', 3, 'COLLECTED'), cp('vm-a', 4, 'STABLE'), cp('vm-a', 5, 'STABLE', { forced: true }), cp('vm-a', 6, 'STABLE'),
  cp('vm-a', 7, 'STAGED', { size: 500, host: 'h-2' }),
  cp('vm-b', 4, 'STABLE'), cp('vm-b', 6, 'STABLE'), cp('vm-b', 8, 'DISCARDED'),
  cp('vm-c', 6, 'STABLE', { host: null }),
]

export const segments = [
  { id: 's1', virtualmachineid: 'vm-b', firstindex: 4, index: 5, state: 'STABLE', size: 100, created: at(5) },
  { id: 's2', virtualmachineid: 'vm-b', firstindex: 6, index: 7, state: 'STAGED', size: 50, created: at(7) },
]

export const lines = [
  { protectiongroupid: 'g-1', index: 6, created: at(7.5), entry: [
    { virtualmachineid: 'vm-a', checkpointindex: 6 }, { virtualmachineid: 'vm-b', checkpointindex: 6 },
    { virtualmachineid: 'vm-c', checkpointindex: 6 }] },
  { protectiongroupid: 'g-1', index: 4, created: at(5.5), entry: [
    { virtualmachineid: 'vm-a', checkpointindex: 4 }, { virtualmachineid: 'vm-b', checkpointindex: 4 },
    { virtualmachineid: 'vm-c', checkpointindex: 4 }] },
]

export const events = [
  { id: 'e-1', protectiongroupid: 'g-1', failurekind: 'HOST', failedid: 'h-2', lineindex: 6,
    rolledback: ['vm-b', 'vm-a'], replayedmessages: 3, state: 'SUCCEEDED', outcome: 'rolled back VMs [0, 1] to line 6',
    started: at(10), finished: at(12), duration: 4000 },
]
