package org.vmqsc.server.catalog;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.time.Clock;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import org.junit.Test;
import org.vmqsc.protocol.VmClass;
import org.vmqsc.protocol.recovery.RecoveryPlan;
import org.vmqsc.protocol.recovery.RecoveryPlanner;
import org.vmqsc.server.service.BoundaryReport;
import org.vmqsc.server.service.FailureKind;
import org.vmqsc.server.service.HostReport;
import org.vmqsc.server.service.LoggedMessageReport;
import org.vmqsc.server.service.RecoveryPolicy;
import org.vmqsc.server.service.Views.GroupView;
import org.vmqsc.server.service.Views.HostFailurePlan;
import org.vmqsc.server.service.memory.InMemoryProtectionService;

/**
 * The in-memory service fed a simulated group's reports, in host batches, repeated and reordered inside a batch,
 * moves the line exactly as the protocol's own keeper, collects what it says, and plans its recoveries.
 */
public class InMemoryMatchesProtocolTest {

  @Test public void theLineCollectionAndPlansAreTheProtocols() {
    for (long seed = 1; seed <= 12; seed++) {
      Random random = new Random(seed);
      SimulatedGroup group = new SimulatedGroup("g" + seed,
          List.of(VmClass.SI, VmClass.SI, VmClass.mi(2), VmClass.mi(3), VmClass.SI, VmClass.mi(2)), 3, seed);
      InMemoryProtectionService service = new InMemoryProtectionService(Clock.systemUTC(),
          InMemoryProtectionService.seededIds(seed), "m");
      GroupView view = register(service, group);
      feed(service, view, group, group.all(), random);
      for (int interval = 0; interval < 30; interval++) {
        feed(service, view, group, group.runInterval(10 + random.nextInt(20)), random);
        group.reference.advance();
        assertEquals("seed " + seed + " interval " + interval, group.reference.line() == null ? null
            : group.reference.line().index(), service.group(view.uuid()).lineIndex());
        if (interval % 7 == 6) {
          int expected = group.reference.collectible().checkpoints().size();
          assertEquals(expected, service.collect(view.uuid()).checkpoints());
          group.reference.collect();
        }
      }
      int failedHost = (int) (seed % 3);
      Set<Integer> failed = new TreeSet<>();
      Set<String> failedUuids = new TreeSet<>();
      for (int vm = 0; vm < group.size(); vm++) {
        if (group.hostOf(vm) == failedHost) {
          failed.add(vm);
          failedUuids.add(group.vmUuid(vm));
        }
      }
      RecoveryPlan expected = RecoveryPlanner.planHostFailure(group.config, group.reference, failed,
          group.survivorsWithout(failedHost), group.stableInTransit);
      HostFailurePlan plan = service.planRecovery(view.uuid(), failedUuids, group.survivorsWithout(failedHost));
      assertEquals(expected.lineIndex(), plan.plan().lineIndex());
      assertEquals(expected.rolledBack(), plan.plan().rolledBack());
      assertEquals(expected.replayCount(), plan.plan().replayCount());
      assertEquals(group.hostUuid(failedHost), plan.failedRef());
      service.claimRecovery(view.uuid(), FailureKind.HOST, group.hostUuid(failedHost), plan).orElseThrow();
      // The recovery carried out on the simulated hosts; the group goes on from the line.
      feed(service, view, group, group.failHostAndRecover(failedHost, (failedHost + 1) % 3), random);
      for (int interval = 0; interval < 10; interval++) {
        feed(service, view, group, group.runInterval(10 + random.nextInt(20)), random);
        group.reference.advance();
        assertEquals("seed " + seed + " after recovery, interval " + interval, group.reference.line().index(),
            (long) service.group(view.uuid()).lineIndex());
      }
      assertTrue(service.group(view.uuid()).lineIndex() > expected.lineIndex());
    }
  }

  private static GroupView register(InMemoryProtectionService service, SimulatedGroup group) {
    GroupView view = service.createGroup(group.prefix, group.config.basePeriod(), RecoveryPolicy.AUTOMATIC, null);
    for (int vm = 0; vm < group.size(); vm++) {
      service.addVm(view.uuid(), group.vmUuid(vm), group.config.classOf(vm).toString(),
          group.hostUuid(group.hostOf(vm)));
    }
    return view;
  }

  /** One batch per host, each shuffled, some reports twice. */
  private static void feed(InMemoryProtectionService service, GroupView view, SimulatedGroup group,
      List<SimulatedGroup.Report> reports, Random random) {
    Map<String, List<BoundaryReport>> boundaries = new LinkedHashMap<>();
    Map<String, List<LoggedMessageReport>> logged = new LinkedHashMap<>();
    for (SimulatedGroup.Report r : reports) {
      int copies = random.nextInt(5) == 0 ? 2 : 1;
      for (int i = 0; i < copies; i++) {
        if (r instanceof SimulatedGroup.Boundary b) {
          boundaries.computeIfAbsent(hostOf(group, b.report().vmUuid()), k -> new ArrayList<>()).add(b.report());
        } else {
          LoggedMessageReport m = ((SimulatedGroup.Logged) r).report();
          logged.computeIfAbsent(hostOf(group, m.toVmUuid()), k -> new ArrayList<>()).add(m);
        }
      }
    }
    List<String> hosts = new ArrayList<>(boundaries.keySet());
    for (String h : logged.keySet()) if (!hosts.contains(h)) hosts.add(h);
    Collections.shuffle(hosts, random);
    for (String host : hosts) {
      List<BoundaryReport> batch = new ArrayList<>(boundaries.getOrDefault(host, List.of()));
      Collections.shuffle(batch, random);
      service.report(new HostReport(host, view.uuid(), batch, logged.getOrDefault(host, List.of())));
    }
  }

  private static String hostOf(SimulatedGroup group, String vmUuid) {
    for (int vm = 0; vm < group.size(); vm++) {
      if (group.vmUuid(vm).equals(vmUuid)) return group.hostUuid(group.hostOf(vm));
    }
    throw new IllegalArgumentException(vmUuid);
  }
}
