package org.vmqsc.server.runtime;

import java.util.function.IntSupplier;
import org.vmqsc.server.recovery.HostChannel;
import org.vmqsc.server.service.HostReport;
import org.vmqsc.server.service.ProtectionService;
import org.vmqsc.server.service.Views.CollectionResult;
import org.vmqsc.server.service.Views.LineView;
import org.vmqsc.server.service.Views.ReportResult;

/**
 * Where host reports enter the manager: the service records the batch; when that moves the recovery line, the
 * service collects what lies behind it and every reachable host hears of the line with the locations collected
 * (so it drops its logs behind the line and deletes those checkpoints and log records from its stores).
 */
public final class ReportIntake {

  /** Told of every line move, with what it made collectable. */
  public interface LineListener {
    void onLineMoved(LineView line, CollectionResult collected);
  }

  private final ProtectionService service;
  private final HostChannel hosts;
  private final LineListener listener;
  /** Checkpoints per VM kept behind the line (a setting that may change while the manager runs). */
  private final IntSupplier keptBehindLine;

  public ReportIntake(ProtectionService service, HostChannel hosts, LineListener listener) {
    this(service, hosts, listener, () -> 0);
  }

  public ReportIntake(ProtectionService service, HostChannel hosts, LineListener listener,
                      IntSupplier keptBehindLine) {
    this.service = service;
    this.hosts = hosts;
    this.listener = listener;
    this.keptBehindLine = keptBehindLine;
  }

  public ReportResult accept(HostReport batch) {
    ReportResult result = service.report(batch);
    LineView moved = result.lineMoved();
    if (moved != null) {
      CollectionResult collected = service.collect(batch.groupUuid(), Math.max(0, keptBehindLine.getAsInt()));
      // A host away learns the line when it rejoins; what it would have deleted waits for the reconciliation.
      hosts.toLiveHosts(h -> hosts.line(h, batch.groupUuid(), moved.index(), collected.locations()));
      listener.onLineMoved(moved, collected);
    }
    return result;
  }
}
