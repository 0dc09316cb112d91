// Loads something from the API and keeps it fresh: `data`, `error` and `loading` for the view's three states,
// `reload()` after a change, and an optional refresh period (a function, so it can follow a group's T0).
import { onMounted, onUnmounted, ref } from 'vue'

export function useResource(loader, { refreshMs = null } = {}) {
  const data = ref(null)
  const error = ref(null)
  const loading = ref(false)
  let timer = null
  let stopped = false

  async function reload() {
    loading.value = true
    try {
      data.value = await loader()
      error.value = null
    } catch (e) {
      error.value = e
    } finally {
      loading.value = false
    }
  }

  function schedule() {
    const ms = typeof refreshMs === 'function' ? refreshMs() : refreshMs
    if (!ms || stopped) return
    timer = setTimeout(async () => {
      await reload()
      schedule()
    }, ms)
  }

  onMounted(async () => {
    await reload()
    schedule()
  })
  onUnmounted(() => {
    stopped = true
    clearTimeout(timer)
  })

  return { data, error, loading, reload }
}
