package org.vmqsc.server.catalog;

import java.util.List;
import org.vmqsc.server.service.Views;
import org.vmqsc.protocol.VmClass;
import org.vmqsc.server.service.Views.GroupView;
import org.vmqsc.server.service.Views.ReportResult;
import org.vmqsc.server.service.RecoveryPolicy;

/** Sets a simulated group up in a catalog and feeds it reports. */
final class Feeding {

  private Feeding() {}

  static GroupView register(Catalog catalog, SimulatedGroup group) {
    GroupView view = catalog.createGroup(group.prefix, group.config.basePeriod(), RecoveryPolicy.AUTOMATIC);
    for (int vm = 0; vm < group.size(); vm++) {
      VmClass vmClass = group.config.classOf(vm);
      catalog.addVm(view.uuid(), group.vmUuid(vm), vmClass.toString(), group.hostUuid(group.hostOf(vm)));
    }
    return view;
  }

  static ReportResult feed(Catalog catalog, SimulatedGroup.Report report) {
    if (report instanceof SimulatedGroup.Boundary b) return catalog.recordReport(b.report());
    return catalog.recordLoggedMessage(((SimulatedGroup.Logged) report).report());
  }

  static void feedAll(Catalog catalog, List<SimulatedGroup.Report> reports) {
    for (SimulatedGroup.Report r : reports) feed(catalog, r);
  }
}
