package org.vmqsc.plugin.server.host;

import java.util.ArrayList;
import java.util.List;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.vmqsc.agent.node.NodeReport;
import org.vmqsc.agent.wire.Wire;
import org.vmqsc.agent.wire.WireMessages.GroupRef;
import org.vmqsc.agent.wire.WireMessages.Report;
import org.vmqsc.agent.wire.WireMessages.Reports;
import org.vmqsc.plugin.command.CheckpointTickCommand;
import org.vmqsc.server.runtime.HostReports;
import org.vmqsc.server.runtime.ReportIntake;
import org.vmqsc.server.service.PageRequest;
import org.vmqsc.server.service.ProtectionService;
import org.vmqsc.server.service.Views.GroupView;
import org.vmqsc.server.service.Views.MemberView;

/**
 * How reports reach the management server: every heartbeat period each host running an enabled group gets a
 * {@link CheckpointTickCommand}; its node passes the boundaries its own clock has reached (checkpoints and log
 * writes due) and answers with the reports gathered since the previous tick, which go to the {@link ReportIntake}.
 * A request/answer pair is the path CloudStack's agent framework supports for any plugin command: an agent cannot
 * send a plugin's own command to the management server unasked. A tick that fails is simply missed: the next one
 * carries the reports on.
 */
public final class CheckpointTicks implements Runnable {

  private static final Logger log = LogManager.getLogger(CheckpointTicks.class);

  private final ProtectionService service;
  private final AgentCommandChannel channel;
  private final ReportIntake intake;

  public CheckpointTicks(ProtectionService service, AgentCommandChannel channel, ReportIntake intake) {
    this.service = service;
    this.channel = channel;
    this.intake = intake;
  }

  @Override public void run() {
    try {
      for (GroupView g : service.listGroups(PageRequest.first(PageRequest.MAX_LIMIT)).items()) {
        if (g.startedMs() != null) tick(g.uuid());
      }
    } catch (RuntimeException e) {
      log.warn("vmqsc checkpoint tick failed: {}", e.toString());
    }
  }

  /** Ticks the group on every live host and records what they report. */
  public void tick(String group) {
    List<MemberView> members = service.members(group);
    for (String host : channel.liveHosts()) {
      try {
        String body = channel.send(host, new CheckpointTickCommand(group, Wire.GSON.toJson(new GroupRef(group))));
        Reports reports = Wire.GSON.fromJson(body, Reports.class);
        if (reports == null || reports.batch().isEmpty()) continue;
        intake.accept(HostReports.of(host, group, vm -> uuidOf(members, vm), nodeReports(reports.batch())));
      } catch (RuntimeException e) {
        log.debug("vmqsc tick of group {} on host {} missed: {}", group, host, e.toString());
      }
    }
  }

  private static String uuidOf(List<MemberView> members, int number) {
    return members.stream().filter(m -> m.number() == number).findFirst()
        .orElseThrow(() -> new IllegalArgumentException("no VM " + number)).vmUuid();
  }

  static List<NodeReport> nodeReports(List<Report> batch) {
    List<NodeReport> out = new ArrayList<>();
    for (Report r : batch) {
      out.add(r.boundary() != null
          ? new NodeReport.Boundary(r.boundary(), r.stable(), r.location(), r.sizeBytes(), r.digest())
          : new NodeReport.InTransit(r.late(), r.location()));
    }
    return out;
  }
}
