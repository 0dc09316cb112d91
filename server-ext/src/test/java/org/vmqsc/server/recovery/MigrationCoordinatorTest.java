package org.vmqsc.server.recovery;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertSame;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.anyInt;
import static org.mockito.ArgumentMatchers.anyString;
import static org.mockito.ArgumentMatchers.eq;
import static org.mockito.Mockito.doThrow;
import static org.mockito.Mockito.spy;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.Test;
import org.vmqsc.agent.node.MigrationRefusedException;
import org.vmqsc.agent.node.VmMigration;
import org.vmqsc.protocol.BoundaryKind;
import org.vmqsc.protocol.BoundaryRecord;
import org.vmqsc.protocol.EarlyIndexPolicy;
import org.vmqsc.protocol.Message;
import org.vmqsc.protocol.host.VmTransfer;
import org.vmqsc.protocol.recovery.HostSnapshot;
import org.vmqsc.protocol.recovery.Replay;
import org.vmqsc.protocol.recovery.VmRestore;
import org.vmqsc.server.service.RecoveryPolicy;
import org.vmqsc.server.service.memory.InMemoryProtectionService;

/** The order of a migration's steps, and where the VM ends up when one of them fails. */
public class MigrationCoordinatorTest {

  private static final String A = "00000000-0000-0000-0000-0000000000a1";
  private static final String B = "00000000-0000-0000-0000-0000000000b2";
  private static final String C = "00000000-0000-0000-0000-0000000000c3";
  private static final String VM0 = "00000000-0000-0000-0000-000000000001";
  private static final String VM1 = "00000000-0000-0000-0000-000000000002";

  /** Hosts that run VMs by number and record every order, in order. */
  static class Hosts implements HostChannel {
    final List<String> orders = new ArrayList<>();
    final Map<String, TreeSet<Integer>> runs = new TreeMap<>(Map.of(A, new TreeSet<>(), B, new TreeSet<>(), C, new TreeSet<>()));
    final List<String> live = new ArrayList<>(List.of(A, B, C));

    @Override public Collection<String> liveHosts() { return List.copyOf(live); }
    @Override public HostSnapshot snapshot(String host, String group) { throw new UnsupportedOperationException(); }
    @Override public Map<Message, byte[]> payloads(String host, String group, List<Message> m) { throw new UnsupportedOperationException(); }
    @Override public void restore(String host, String group, VmRestore r, String c, List<String> s) { throw new UnsupportedOperationException(); }
    @Override public void rollback(String host, String group, int vm, int inc, long[] sent) { throw new UnsupportedOperationException(); }
    @Override public void evict(String host, String group, int vm) { throw new UnsupportedOperationException(); }
    @Override public void freeze(String host, String group) { throw new UnsupportedOperationException(); }
    @Override public void thaw(String host, String group) { throw new UnsupportedOperationException(); }
    @Override public void replay(String host, String group, int vm, List<Replay> r, Map<Message, byte[]> p, Map<Message, String> l) { throw new UnsupportedOperationException(); }
    @Override public void drop(String host, String group) {
      throw new UnsupportedOperationException();
    }

    @Override public void reconcile(String host, Collection<String> stored, java.time.Duration grace) {
      throw new UnsupportedOperationException();
    }

    @Override public void line(String host, String group, long index, List<String> collectable) { throw new UnsupportedOperationException(); }
    @Override public void fence(String host) { orders.add("fence " + host); live.remove(host); }

    @Override public VmMigration emigrate(String host, String group, int vm, String target) {
      if (!runs.get(host).remove(vm)) throw new IllegalStateException("VM " + vm + " does not run on " + host);
      orders.add("emigrate " + vm + " " + host);
      return migration(group, vm);
    }

    @Override public void immigrate(String host, String group, VmMigration migration) {
      orders.add("immigrate " + migration.vm() + " " + host);
      runs.get(host).add(migration.vm());
    }

    @Override public void placement(String host, String group, int vm, String newHost) {
      orders.add("placement " + vm + " " + host);
    }

    int runningCopies(int vm) {
      return (int) runs.values().stream().filter(s -> s.contains(vm)).count();
    }
  }

  static VmMigration migration(String group, int vm) {
    BoundaryRecord c0 = new BoundaryRecord(vm, 0, 0, BoundaryKind.CHECKPOINT, false, 0, 0, new long[2], new long[2]);
    VmTransfer t = new VmTransfer(vm, 0, 0, new long[2], new long[2], 0, 0, -1, c0, c0, 1, List.of(), List.of(),
        List.of());
    return new VmMigration(group, t, Map.of(), "ckpt/" + vm);
  }

  private final InMemoryProtectionService service = spy(new InMemoryProtectionService());
  private final Hosts hosts = spy(new Hosts());
  private final String group = service.createGroup("g", 1000, RecoveryPolicy.AUTOMATIC,
      EarlyIndexPolicy.ADVANCE_AND_LOG).uuid();

  {
    service.addVm(group, VM0, "SI", A);
    service.addVm(group, VM1, "SI", B);
    hosts.runs.get(A).add(0);
    hosts.runs.get(B).add(1);
  }

  private String hostOf(String vm) {
    return service.members(group).stream().filter(m -> m.vmUuid().equals(vm)).findFirst().orElseThrow().hostUuid();
  }

  @Test public void emigrateThenImmigrateThenRecordThenTellEveryLiveHost() {
    new MigrationCoordinator(service, hosts).migrate(group, VM0, B);
    assertEquals(List.of("emigrate 0 " + A, "immigrate 0 " + B, "placement 0 " + A, "placement 0 " + B,
        "placement 0 " + C), hosts.orders);
    assertEquals(B, hostOf(VM0));
    assertEquals(new TreeSet<>(List.of(0, 1)), hosts.runs.get(B));
  }

  @Test public void aRefusingSourceChangesNothing() {
    doThrow(new MigrationRefusedException("writes on their way")).when(hosts).emigrate(eq(A), anyString(), anyInt(), anyString());
    assertThrows(MigrationRefusedException.class, () -> new MigrationCoordinator(service, hosts).migrate(group, VM0, B));
    assertTrue(hosts.orders.toString(), hosts.orders.isEmpty());
    assertEquals(A, hostOf(VM0));
    assertTrue(hosts.runs.get(A).contains(0));
  }

  @Test public void aTargetThatDoesNotAnswerIsFencedAndTheVmGoesBackToTheSource() {
    doThrow(new HostUnreachableException(B, "test")).when(hosts).immigrate(eq(B), anyString(), any());
    HostUnreachableException e = assertThrows(HostUnreachableException.class,
        () -> new MigrationCoordinator(service, hosts).migrate(group, VM0, B));
    assertTrue(e.getMessage(), e.getMessage().contains(B));
    assertEquals(List.of("emigrate 0 " + A, "fence " + B, "immigrate 0 " + A), hosts.orders);
    assertEquals("the service still names the source", A, hostOf(VM0));
    assertEquals(1, hosts.runningCopies(0));
    assertTrue(hosts.runs.get(A).contains(0));
  }

  @Test public void whenTheSourceCannotTakeItBackEitherItIsFencedAndTheVmIsLeftToItsRecovery() {
    doThrow(new HostUnreachableException(B, "test")).when(hosts).immigrate(eq(B), anyString(), any());
    doThrow(new HostUnreachableException(A, "test")).when(hosts).immigrate(eq(A), anyString(), any());
    HostUnreachableException e = assertThrows(HostUnreachableException.class,
        () -> new MigrationCoordinator(service, hosts).migrate(group, VM0, B));
    assertEquals(1, e.getSuppressed().length);
    assertEquals(List.of("emigrate 0 " + A, "fence " + B, "fence " + A), hosts.orders);
    assertEquals("running nowhere, failed on its recorded host", A, hostOf(VM0));
    assertEquals(0, hosts.runningCopies(0));
    assertEquals("a failure of its host recovers the group", List.of(group), service.groupsOnHost(A));
  }

  @Test public void aServiceThatCannotRecordTheMoveGetsTheVmBackOnTheSource() {
    RuntimeException down = new IllegalStateException("database down");
    doThrow(down).when(service).moveVm(VM0, B);
    RuntimeException e = assertThrows(RuntimeException.class, () -> new MigrationCoordinator(service, hosts).migrate(group, VM0, B));
    assertSame(down, e);
    assertEquals(List.of("emigrate 0 " + A, "immigrate 0 " + B, "emigrate 0 " + B, "immigrate 0 " + A), hosts.orders);
    assertEquals(A, hostOf(VM0));
    assertEquals(1, hosts.runningCopies(0));
  }

  @Test public void aHostThatMissesThePlacementLearnsItLaterAndTheOthersAreTold() {
    doThrow(new HostUnreachableException(A, "test")).when(hosts).placement(eq(A), anyString(), anyInt(), anyString());
    new MigrationCoordinator(service, hosts).migrate(group, VM0, B);
    assertEquals(B, hostOf(VM0));
    assertTrue(hosts.orders.containsAll(List.of("placement 0 " + B, "placement 0 " + C)));
  }

  @Test public void badRequestsAreRefusedBeforeAnyHostIsAsked() {
    MigrationCoordinator coordinator = new MigrationCoordinator(service, hosts);
    IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class,
        () -> coordinator.migrate(group, "00000000-0000-0000-0000-00000000dead", B));
    assertTrue(unknown.getMessage(), unknown.getMessage().contains("not a member"));
    IllegalArgumentException same = assertThrows(IllegalArgumentException.class, () -> coordinator.migrate(group, VM0, A));
    assertTrue(same.getMessage(), same.getMessage().contains("already"));
    assertThrows(IllegalArgumentException.class, () -> coordinator.migrate(group, VM0, " "));
    hosts.live.remove(C);
    HostUnreachableException down = assertThrows(HostUnreachableException.class, () -> coordinator.migrate(group, VM0, C));
    assertTrue(down.getMessage(), down.getMessage().contains("not live"));
    assertTrue(hosts.orders.toString(), hosts.orders.isEmpty());
    assertEquals(A, hostOf(VM0));
  }
}
