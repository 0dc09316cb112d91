package org.vmqsc.agent.process;

import java.io.IOException;
import java.util.concurrent.LinkedBlockingDeque;
import org.vmqsc.agent.wire.WireMessages.Reports;

/**
 * Carries the host nodes' report batches to the manager in the order they were made, on its own thread, and
 * keeps a batch until the manager has taken it: a manager that is down or restarting loses nothing (the catalog
 * takes a repeated batch as a duplicate). A batch the manager refuses outright is dropped and said.
 */
final class ReportSender implements AutoCloseable {

  private final ManagerClient manager;
  private final EventLog events;
  /** Told of a group the manager does not know (deleted while this host could not hear): stop running it. */
  private final java.util.function.Consumer<String> unknownGroup;
  private final LinkedBlockingDeque<Reports> queue = new LinkedBlockingDeque<>();
  private final Thread worker;
  private volatile boolean closed;

  ReportSender(ManagerClient manager, EventLog events, java.util.function.Consumer<String> unknownGroup) {
    this.manager = manager;
    this.events = events;
    this.unknownGroup = unknownGroup;
    this.worker = new Thread(this::run, "vmqsc-reports");
    worker.setDaemon(true);
    worker.start();
  }

  void send(Reports batch) {
    queue.addLast(batch);
  }

  int waiting() {
    return queue.size();
  }

  private void run() {
    long backoff = 100;
    while (!closed) {
      Reports next;
      try {
        next = queue.takeFirst();
      } catch (InterruptedException e) {
        return;
      }
      while (!closed) {
        try {
          manager.report(next);
          backoff = 100;
          break;
        } catch (ManagerClient.RefusedException e) {
          events.emit("report_refused", "group", next.group(), "error", e.getMessage());
          if ("UNKNOWN_GROUP".equals(e.reason)) unknownGroup.accept(next.group());
          break;
        } catch (IOException e) {
          try {
            Thread.sleep(backoff);
          } catch (InterruptedException stop) {
            return;
          }
          backoff = Math.min(2000, backoff * 2);
        }
      }
    }
  }

  @Override public void close() {
    closed = true;
    worker.interrupt();
  }
}
