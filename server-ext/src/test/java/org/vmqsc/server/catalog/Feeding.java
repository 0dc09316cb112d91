package org.vmqsc.server.catalog;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.vmqsc.protocol.VmClass;
import org.vmqsc.server.service.BoundaryReport;
import org.vmqsc.server.service.HostReport;
import org.vmqsc.server.service.LoggedMessageReport;
import org.vmqsc.server.service.ProtectionService;
import org.vmqsc.server.service.RecoveryPolicy;
import org.vmqsc.server.service.Views.GroupView;
import org.vmqsc.server.service.Views.ReportResult;

/** Sets a simulated group up in a catalog and feeds it reports, one at a time or batched per host as hosts do. */
final class Feeding {

  private Feeding() {}

  static GroupView register(ProtectionService catalog, SimulatedGroup group) {
    GroupView view = catalog.createGroup(group.prefix, group.config.basePeriod(), RecoveryPolicy.AUTOMATIC,
        group.config.earlyIndexPolicy());
    for (int vm = 0; vm < group.size(); vm++) {
      VmClass vmClass = group.config.classOf(vm);
      catalog.addVm(view.uuid(), group.vmUuid(vm), vmClass.toString(), group.hostUuid(group.hostOf(vm)));
    }
    group.groupUuid = view.uuid();
    return view;
  }

  /** One report as a batch of its own. */
  static ReportResult feed(ProtectionService catalog, SimulatedGroup.Report report) {
    return catalog.report(batch(report.hostUuid(), report.group().groupUuid, List.of(report)));
  }

  static void feedAll(ProtectionService catalog, List<SimulatedGroup.Report> reports) {
    for (SimulatedGroup.Report r : reports) feed(catalog, r);
  }

  /** The reports as hosts send them: one batch per host and group, in the order of each host's reports. */
  static List<ReportResult> feedBatched(ProtectionService catalog, List<SimulatedGroup.Report> reports) {
    Map<List<String>, List<SimulatedGroup.Report>> byHost = new LinkedHashMap<>();
    for (SimulatedGroup.Report r : reports) {
      byHost.computeIfAbsent(List.of(r.hostUuid(), r.group().groupUuid), k -> new ArrayList<>()).add(r);
    }
    List<ReportResult> results = new ArrayList<>();
    byHost.forEach((key, batch) -> results.add(catalog.report(batch(key.get(0), key.get(1), batch))));
    return results;
  }

  /** A single boundary report for a group, from a host the catalog does not check. */
  static ReportResult one(ProtectionService catalog, String groupUuid, BoundaryReport report) {
    return catalog.report(new HostReport("test-host", groupUuid, List.of(report), List.of()));
  }

  static HostReport batch(String hostUuid, String groupUuid, List<SimulatedGroup.Report> reports) {
    List<BoundaryReport> boundaries = new ArrayList<>();
    List<LoggedMessageReport> logged = new ArrayList<>();
    for (SimulatedGroup.Report r : reports) {
      if (r instanceof SimulatedGroup.Boundary b) boundaries.add(b.report());
      else logged.add(((SimulatedGroup.Logged) r).report());
    }
    return new HostReport(hostUuid, groupUuid, boundaries, logged);
  }
}
