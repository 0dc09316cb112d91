package org.vmqsc.server.runtime;

import java.util.ArrayList;
import java.util.List;
import java.util.function.IntFunction;
import org.vmqsc.agent.node.NodeReport;
import org.vmqsc.protocol.BoundaryRecord;
import org.vmqsc.protocol.LogEntry;
import org.vmqsc.protocol.Message;
import org.vmqsc.server.service.BoundaryReport;
import org.vmqsc.server.service.HostReport;
import org.vmqsc.server.service.LoggedMessageReport;

/**
 * A host node's batch, in the group's VM numbers, as the service's report
 * with uuids. (Over the network the agent sends the same values as JSON.)
 */
public final class HostReports {

  private HostReports() {}

  public static HostReport of(String hostUuid, String groupUuid, IntFunction<String> vmUuid, List<NodeReport> batch) {
    List<BoundaryReport> boundaries = new ArrayList<>();
    List<LoggedMessageReport> logged = new ArrayList<>();
    for (NodeReport r : batch) {
      if (r instanceof NodeReport.Boundary b) {
        BoundaryRecord c = b.record();
        boundaries.add(new BoundaryReport(vmUuid.apply(c.vm()), c.kind(), c.index(), c.incarnation(), c.forced(),
            b.stable(), b.sizeBytes(), b.location(), b.contentDigest(), c.position(), c.received(), c.sentTo(),
            c.receivedFrom()));
      } else if (r instanceof NodeReport.InTransit t) {
        LogEntry e = t.entry();
        Message m = e.message();
        logged.add(new LoggedMessageReport(vmUuid.apply(m.from()), vmUuid.apply(m.to()), m.seq(), m.index(),
            m.incarnation(), m.size(), m.digest(), e.rsn(), e.position(), e.receiverIndex(), e.incarnation(),
            t.location(), m.senderReceived()));
      }
    }
    return new HostReport(hostUuid, groupUuid, boundaries, logged);
  }
}
