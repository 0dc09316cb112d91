// Runs an API call that may answer with an async job, and follows the job to its end (queryAsyncJobResult):
// `running` and `progress` for the progress line, `error` with the API's errortext.
import { ref } from 'vue'

export function useJob(api) {
  const running = ref(false)
  const progress = ref(null)
  const error = ref(null)

  async function run(label, command, params) {
    running.value = true
    error.value = null
    progress.value = { label, polls: 0, elapsedMs: 0 }
    try {
      const answer = await api.call(command, params)
      if (!answer.jobid) return answer
      return await api.waitForJob(answer.jobid, {
        onProgress: (p) => { progress.value = { label, ...p } },
      })
    } catch (e) {
      error.value = e
      throw e
    } finally {
      running.value = false
      progress.value = null
    }
  }

  return { running, progress, error, run }
}
