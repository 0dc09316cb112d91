package org.vmqsc.agent.xen;

import com.xensource.xenapi.Task;
import com.xensource.xenapi.Types;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Waits for XAPI tasks. An asynchronous call returns at once with a task; its status is polled (every 20 ms at
 * first, backing off to 500 ms) until it succeeds, fails or the deadline passes, and the task record is destroyed
 * either way so the master does not collect them.
 */
final class XapiTasks {

  private static final long FIRST_POLL_MILLIS = 20;
  private static final long LAST_POLL_MILLIS = 500;

  private final XapiSession xapi;
  private final Duration deadline;

  XapiTasks(XapiSession xapi, Duration deadline) {
    this.xapi = xapi;
    this.deadline = deadline;
  }

  /** Starts a task with {@code start} and waits for it. */
  TaskOutcome run(String what, XapiSession.Call<Task> start) throws IOException {
    Task task = xapi.call(what, start);
    try {
      return await(what, task);
    } finally {
      try {
        xapi.call("destroying the task of " + what, c -> {
          task.destroy(c);
          return null;
        });
      } catch (IOException gone) {
        // XAPI drops finished tasks itself after a while; a stale record costs nothing
      }
    }
  }

  private TaskOutcome await(String what, Task task) throws IOException {
    long giveUp = System.nanoTime() + deadline.toNanos();
    long poll = FIRST_POLL_MILLIS;
    while (true) {
      Types.TaskStatusType status = xapi.call("the status of " + what, task::getStatus);
      switch (status) {
        case SUCCESS:
          return new TaskOutcome(xapi.call("the start of " + what, task::getCreated).toInstant(),
              xapi.call("the end of " + what, task::getFinished).toInstant(),
              xapi.call("the result of " + what, task::getResult));
        case FAILURE:
        case CANCELLED:
          List<String> error = new ArrayList<>(xapi.call("the error of " + what, task::getErrorInfo));
          throw new XapiException(what + " failed (task " + status.toString().toLowerCase() + ")", error, null);
        default:
          break;
      }
      if (System.nanoTime() > giveUp) {
        try {
          xapi.call("cancelling " + what, c -> {
            task.cancel(c);
            return null;
          });
        } catch (IOException notCancellable) {
          // the task may finish on its own; its leftovers are swept like any failure's
        }
        throw new IOException(what + " did not finish within " + deadline.toSeconds() + " s; cancelled");
      }
      try {
        Thread.sleep(poll);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted while waiting for " + what, e);
      }
      poll = Math.min(LAST_POLL_MILLIS, poll * 2);
    }
  }
}
