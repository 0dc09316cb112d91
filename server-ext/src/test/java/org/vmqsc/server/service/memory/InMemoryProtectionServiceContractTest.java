package org.vmqsc.server.service.memory;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import org.junit.Test;
import org.vmqsc.protocol.BoundaryKind;
import org.vmqsc.server.service.BoundaryReport;
import org.vmqsc.server.service.HostReport;
import org.vmqsc.server.service.PageRequest;
import org.vmqsc.server.service.ProtectionService;
import org.vmqsc.server.service.ProtectionServiceContract;
import org.vmqsc.server.service.RecoveryPolicy;
import org.vmqsc.server.service.Views.GroupView;

public class InMemoryProtectionServiceContractTest extends ProtectionServiceContract {

  private static final Clock FIXED = Clock.fixed(Instant.parse("2026-01-01T00:00:00Z"), ZoneOffset.UTC);

  @Override protected ProtectionService newService() {
    return new InMemoryProtectionService(FIXED, InMemoryProtectionService.counterIds(), "manager-a");
  }

  @Test public void theSameSeedGivesTheSameUuids() {
    List<Object> first = run(new InMemoryProtectionService(FIXED, InMemoryProtectionService.seededIds(7), "m"));
    List<Object> second = run(new InMemoryProtectionService(FIXED, InMemoryProtectionService.seededIds(7), "m"));
    assertEquals(first, second);
    List<Object> other = run(new InMemoryProtectionService(FIXED, InMemoryProtectionService.seededIds(8), "m"));
    assertEquals(first.size(), other.size());
    assertEquals(false, first.get(0).equals(other.get(0)));
  }

  private static List<Object> run(InMemoryProtectionService service) {
    List<Object> out = new ArrayList<>();
    GroupView g = service.createGroup("g", 1000, RecoveryPolicy.AUTOMATIC, null);
    out.add(g);
    out.add(service.addVm(g.uuid(), "a", "SI", "h1"));
    out.add(service.addVm(g.uuid(), "b", "SI", "h1"));
    service.report(new HostReport("h1", g.uuid(), List.of(checkpoint("a", 0, 0), checkpoint("b", 0, 0)), List.of()));
    out.add(service.currentLine(g.uuid()));
    out.add(service.listCheckpoints(g.uuid(), true, PageRequest.first(10)));
    return out;
  }

  /** The keeper refuses a batch whose counters make an orphan: the batch leaves nothing behind. */
  @Test public void aBatchTheKeeperRefusesLeavesNothingBehind() {
    ProtectionService service = newService();
    GroupView g = service.createGroup("g", 1000, RecoveryPolicy.AUTOMATIC, null);
    service.addVm(g.uuid(), "a", "SI", "h1");
    service.addVm(g.uuid(), "b", "SI", "h1");
    service.report(new HostReport("h1", g.uuid(), List.of(checkpoint("a", 0, 0), checkpoint("b", 0, 0)), List.of()));
    assertEquals(Long.valueOf(0), service.group(g.uuid()).lineIndex());
    BoundaryReport orphan = new BoundaryReport("b", BoundaryKind.CHECKPOINT, 1, 0, false, true, 1, "s://b/1", "d",
        0, 2, new long[2], new long[] {2, 0});
    assertThrows(IllegalStateException.class, () -> service.report(new HostReport("h1", g.uuid(),
        List.of(checkpoint("a", 1, 0), orphan), List.of())));
    assertEquals(2, service.listCheckpoints(g.uuid(), true, PageRequest.first(10)).total());
    assertEquals(Long.valueOf(0), service.group(g.uuid()).lineIndex());
    service.report(new HostReport("h1", g.uuid(), List.of(checkpoint("a", 1, 0), checkpoint("b", 1, 0)), List.of()));
    assertEquals(Long.valueOf(1), service.group(g.uuid()).lineIndex());
  }

  private static BoundaryReport checkpoint(String vm, long index, int incarnation) {
    return new BoundaryReport(vm, BoundaryKind.CHECKPOINT, index, incarnation, false, true, 1, "s://" + vm + "/" + index,
        "d-" + vm + index, 0, 0, new long[2], new long[2]);
  }
}
