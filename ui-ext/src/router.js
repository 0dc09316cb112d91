// A tiny hash router: #/groups, #/timeline/<group id>, #/storage/<group id>, #/recoveries, #/hosts.
// Hash routes work the same at the manager's /ui/ and inside CloudStack's plugin iframe.
import { onUnmounted, ref } from 'vue'

export const VIEWS = ['groups', 'timeline', 'storage', 'recoveries', 'hosts']

export function parseRoute(hash) {
  const [view, id] = hash.replace(/^#\/?/, '').split('/')
  return { view: VIEWS.includes(view) ? view : 'groups', id: id || null }
}

export function useRoute() {
  const route = ref(parseRoute(window.location.hash))
  const onChange = () => { route.value = parseRoute(window.location.hash) }
  window.addEventListener('hashchange', onChange)
  onUnmounted(() => window.removeEventListener('hashchange', onChange))
  return route
}

export function go(view, id = null) {
  window.location.hash = id ? `#/${view}/${id}` : `#/${view}`
}
