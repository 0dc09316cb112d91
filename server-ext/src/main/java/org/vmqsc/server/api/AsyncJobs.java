package org.vmqsc.server.api;

import com.google.gson.JsonObject;
import java.time.Clock;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * CloudStack's async jobs, in memory: a long command returns a job id at once and runs on one worker thread, and
 * queryAsyncJobResult reads its state. One thread runs the jobs one after the other, which also serialises the
 * recoveries of a group as the coordinator requires. Jobs live as long as the manager process (a restarted
 * manager resumes claimed recoveries itself, from the catalog); the oldest finished ones are dropped past a bound.
 */
final class AsyncJobs implements AutoCloseable {

  static final int PENDING = 0;
  static final int SUCCEEDED = 1;
  static final int FAILED = 2;
  static final int KEPT = 10_000;

  /** A job's state as queryAsyncJobResult shows it. */
  record Job(String id, String command, Instant created, int status, int resultCode, JsonObject result) {}

  private final Clock clock;
  private final ExecutorService worker;
  private final Map<String, Job> jobs = new LinkedHashMap<>() {
    @Override protected boolean removeEldestEntry(Map.Entry<String, Job> eldest) {
      return size() > KEPT && eldest.getValue().status() != PENDING;
    }
  };

  AsyncJobs(Clock clock) {
    this.clock = clock;
    this.worker = Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "vmqsc-api-jobs");
      t.setDaemon(true);
      return t;
    });
  }

  /** Queues {@code work}; its result becomes the job's {@code jobresult}, its exception the job's error. */
  String submit(String command, Supplier<JsonObject> work) {
    String id = UUID.randomUUID().toString();
    put(new Job(id, command, clock.instant(), PENDING, 0, null));
    try {
      worker.execute(() -> run(id, command, work));
    } catch (RejectedExecutionException stopped) {
      synchronized (jobs) {
        jobs.remove(id);
      }
      throw ApiException.internal();
    }
    return id;
  }

  Optional<Job> find(String id) {
    synchronized (jobs) {
      return Optional.ofNullable(jobs.get(id));
    }
  }

  private void run(String id, String command, Supplier<JsonObject> work) {
    Job queued = find(id).orElseThrow();
    try {
      JsonObject result = work.get();
      put(new Job(id, command, queued.created(), SUCCEEDED, 0, result));
    } catch (Throwable t) {
      ApiException e = Errors.of(command, t);
      put(new Job(id, command, queued.created(), FAILED, e.errorCode(), Json.error(e)));
    }
  }

  private void put(Job job) {
    synchronized (jobs) {
      jobs.put(job.id(), job);
    }
  }

  @Override
  public void close() throws InterruptedException {
    worker.shutdownNow();
    worker.awaitTermination(10, TimeUnit.SECONDS);
  }
}
