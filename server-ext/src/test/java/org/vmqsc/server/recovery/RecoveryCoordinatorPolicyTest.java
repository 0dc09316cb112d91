package org.vmqsc.server.recovery;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import org.junit.Test;
import org.vmqsc.protocol.EarlyIndexPolicy;
import org.vmqsc.protocol.Message;
import org.vmqsc.protocol.recovery.HostSnapshot;
import org.vmqsc.protocol.recovery.Replay;
import org.vmqsc.protocol.recovery.VmRestore;
import org.vmqsc.server.service.PageRequest;
import org.vmqsc.server.service.RecoveryPolicy;
import org.vmqsc.server.service.ServiceException;
import org.vmqsc.server.service.Views.GroupView;
import org.vmqsc.server.service.memory.InMemoryProtectionService;

/**
 * What the coordinator decides before any plan: a MANUAL group waits for an admin, and the failed host is fenced
 * first whatever the policy. (The recoveries themselves run under the simulator's oracle.)
 */
public class RecoveryCoordinatorPolicyTest {

  private static final String H1 = "00000000-0000-0000-0000-0000000000a1";
  private static final String H2 = "00000000-0000-0000-0000-0000000000a2";

  /** A channel to hosts that answer nothing: it only records what was asked of it. */
  private static final class Recording implements HostChannel {
    final List<String> asked = new ArrayList<>();

    @Override public Collection<String> liveHosts() { asked.add("liveHosts"); return List.of(H2); }
    @Override public HostSnapshot snapshot(String host, String group) { asked.add("snapshot " + host); throw new HostUnreachableException(host, "test"); }
    @Override public Map<Message, byte[]> payloads(String host, String group, List<Message> m) { asked.add("payloads"); return Map.of(); }
    @Override public void restore(String host, String group, VmRestore r, String c, List<String> s) { asked.add("restore"); }
    @Override public void rollback(String host, String group, int vm, int inc, long[] sent) { asked.add("rollback"); }
    @Override public void replay(String host, String group, int vm, List<Replay> r, Map<Message, byte[]> p, Map<Message, String> l) { asked.add("replay"); }
    @Override public void drop(String host, String group) {
      throw new UnsupportedOperationException();
    }

    @Override public void reconcile(String host, Collection<String> stored, java.time.Duration grace) {
      throw new UnsupportedOperationException();
    }

    @Override public void line(String host, String group, long index, List<String> collectable) { asked.add("line"); }
    @Override public void placement(String host, String group, int vm, String newHost) { asked.add("placement " + vm); }
    @Override public void evict(String host, String group, int vm) { asked.add("evict " + vm); }
    @Override public void freeze(String host, String group) { asked.add("freeze " + host); }
    @Override public void thaw(String host, String group) { asked.add("thaw " + host); }
    @Override public void fence(String host) { asked.add("fence " + host); }
  }

  @Test public void aManualGroupIsNotRecoveredAutomaticallyButItsHostIsFenced() {
    InMemoryProtectionService service = new InMemoryProtectionService();
    GroupView g = service.createGroup("manual", 1000, RecoveryPolicy.MANUAL, EarlyIndexPolicy.ADVANCE_AND_LOG);
    service.addVm(g.uuid(), "00000000-0000-0000-0000-000000000001", "SI", H1);
    Recording hosts = new Recording();

    assertTrue(new RecoveryCoordinator(service, hosts).onHostFailed(H1).isEmpty());

    assertEquals(List.of("fence " + H1), hosts.asked);
    assertTrue(service.listRecoveryEvents(g.uuid(), PageRequest.first(10)).items().isEmpty());
  }

  @Test public void aHostThatDoesNotAnswerTheSnapshotIsFencedAndCountedFailed() {
    InMemoryProtectionService service = new InMemoryProtectionService();
    GroupView g = service.createGroup("auto", 1000, RecoveryPolicy.AUTOMATIC, EarlyIndexPolicy.ADVANCE_AND_LOG);
    service.addVm(g.uuid(), "00000000-0000-0000-0000-000000000001", "SI", H1);
    service.addVm(g.uuid(), "00000000-0000-0000-0000-000000000002", "SI", H2);
    Recording hosts = new Recording();

    // No recovery line yet (no checkpoint reported): the plan is refused, after H2 was fenced as unreachable.
    assertThrows(ServiceException.class, () -> new RecoveryCoordinator(service, hosts).onHostFailed(H1));
    assertTrue(hosts.asked.toString(), hosts.asked.contains("fence " + H1));
    assertTrue(hosts.asked.toString(), hosts.asked.contains("fence " + H2));
    assertTrue("no order reaches a host without a claimed plan", !hosts.asked.contains("restore"));
  }
}
