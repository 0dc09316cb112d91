package org.vmqsc.server.standalone;

import java.util.Collection;
import java.util.List;
import java.util.Map;
import org.vmqsc.agent.node.VmMigration;
import org.vmqsc.protocol.Message;
import org.vmqsc.protocol.recovery.HostSnapshot;
import org.vmqsc.protocol.recovery.Replay;
import org.vmqsc.protocol.recovery.VmRestore;
import org.vmqsc.server.recovery.HostChannel;
import org.vmqsc.server.recovery.HostUnreachableException;

/**
 * The standalone manager's host channel until the agent process exists: no host is live, and every order is
 * refused with {@link HostUnreachableException}. A recovery therefore finds every VM failed and no host to restore
 * it on, and is recorded as failed with that reason. The agents' HTTP channel replaces this class when the agent
 * process comes.
 */
public final class NoAgentsChannel implements HostChannel {

  private static final String WHY = "no agent process is connected to this manager yet";

  @Override public Collection<String> liveHosts() {
    return List.of();
  }

  @Override public HostSnapshot snapshot(String host, String group) {
    throw new HostUnreachableException(host, WHY);
  }

  @Override public Map<Message, byte[]> payloads(String host, String group, List<Message> messages) {
    throw new HostUnreachableException(host, WHY);
  }

  @Override public void restore(String host, String group, VmRestore restore, String checkpointLocation,
                                List<String> segmentLocations) {
    throw new HostUnreachableException(host, WHY);
  }

  @Override public void rollback(String host, String group, int vm, int incarnation, long[] sentToAtLine) {
    throw new HostUnreachableException(host, WHY);
  }

  @Override public void replay(String host, String group, int vm, List<Replay> replays,
                               Map<Message, byte[]> payloads, Map<Message, String> stableLocations) {
    throw new HostUnreachableException(host, WHY);
  }

  @Override public void line(String host, String group, long index) {
    throw new HostUnreachableException(host, WHY);
  }

  @Override public void fence(String host) {
    throw new HostUnreachableException(host, WHY);
  }

  @Override public VmMigration emigrate(String host, String group, int vm, String target) {
    throw new HostUnreachableException(host, WHY);
  }

  @Override public void immigrate(String host, String group, VmMigration migration) {
    throw new HostUnreachableException(host, WHY);
  }

  @Override public void placement(String host, String group, int vm, String newHost) {
    throw new HostUnreachableException(host, WHY);
  }
}
