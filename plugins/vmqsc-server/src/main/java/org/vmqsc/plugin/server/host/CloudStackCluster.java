package org.vmqsc.plugin.server.host;

import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.vmqsc.agent.wire.WireMessages.Deploy;
import org.vmqsc.agent.wire.WireMessages.GuestProfile;
import org.vmqsc.agent.wire.WireMessages.Member;
import org.vmqsc.protocol.VmClass;
import org.vmqsc.server.api.Cluster;
import org.vmqsc.server.recovery.HostUnreachableException;
import org.vmqsc.server.recovery.RecoveryCoordinator;
import org.vmqsc.server.service.FailureKind;
import org.vmqsc.server.service.ProtectionService;
import org.vmqsc.server.service.RecoveryState;
import org.vmqsc.server.service.ServiceException;
import org.vmqsc.server.service.Views.GroupView;
import org.vmqsc.server.service.Views.MemberView;
import org.vmqsc.server.service.Views.RecoveryEventView;

/**
 * The async commands' side in CloudStack (enable, recover) and the reaction to a host CloudStack found Down: the
 * {@link RecoveryCoordinator} over agent commands. Recoveries and enables run one at a time (synchronized): a
 * recovery and an enable of one group never overlap.
 */
public final class CloudStackCluster implements Cluster {

  private static final Logger log = LogManager.getLogger(CloudStackCluster.class);

  /** The hosts run real guests: the simulated-guest profile of the wire format stays empty. */
  private static final GuestProfile NO_SIMULATED_GUESTS = new GuestProfile(0, 0, 0, 0);

  private final ProtectionService service;
  private final AgentCommandChannel channel;
  private final RecoveryCoordinator coordinator;
  private final KnownHosts hosts;
  private final CloudEvents events;
  private final Clock clock;
  /** VM uuid → the MAC of its NIC on the relay network, or null. */
  private final Function<String, String> relayMacs;

  public CloudStackCluster(ProtectionService service, AgentCommandChannel channel, RecoveryCoordinator coordinator,
                           KnownHosts hosts, CloudEvents events, Clock clock, Function<String, String> relayMacs) {
    this.relayMacs = relayMacs;
    this.service = service;
    this.channel = channel;
    this.coordinator = coordinator;
    this.hosts = hosts;
    this.events = events;
    this.clock = clock;
  }

  /**
   * Every VM must run on a connected KVM or Xen host (CloudStack places VMs; vmqsc does not move them to start). The
   * group's start is recorded once; every live host takes the group's frames before any host boots its VMs'
   * protection.
   */
  @Override public synchronized GroupView enable(String groupUuid) {
    GroupView group = service.group(groupUuid);
    if (group.startedMs() != null) return group;
    for (MemberView m : service.members(groupUuid)) {
      if (VmClass.parse(m.vmClass()).period() != 1) {
        throw new ServiceException(ServiceException.Reason.WRONG_STATE, "VM " + m.vmUuid() + " is " + m.vmClass()
            + ", but a CloudStack VM is a real guest: replaying its log cannot bring it to a later state, so its"
            + " restore points are its checkpoints only and every VM of a group must be SI (set it with"
            + " updateVmInProtectionGroup vmclass=SI)");
      }
      if (m.hostUuid() == null || hosts.byUuid(m.hostUuid()).isEmpty()) {
        throw new ServiceException(ServiceException.Reason.WRONG_STATE, "VM " + m.vmUuid() + " does not run on a KVM"
            + " or Xen host connected to this management server: start it before enabling its group");
      }
    }
    GroupView started = service.startGroup(groupUuid, clock.millis());
    List<Integer> all = service.members(groupUuid).stream().map(MemberView::number).toList();
    for (String h : channel.liveHosts()) channel.deploy(h, deployment(groupUuid, List.of()));
    Deploy boot = deployment(groupUuid, all);
    for (String h : channel.liveHosts()) channel.deploy(h, boot);
    return started;
  }

  /** Deletes the group, then tells every connected host to stop running it; the VMs run on, unprotected. */
  @Override public synchronized void delete(String groupUuid) {
    service.deleteGroup(groupUuid);
    for (String h : channel.liveHosts()) {
      try {
        channel.drop(h, groupUuid);
      } catch (HostUnreachableException e) {
        log.warn("vmqsc: host {} could not be told that group {} was deleted: {}", h, groupUuid, e.getMessage());
      }
    }
  }

  @Override public synchronized Optional<RecoveryEventView> recover(String groupUuid) {
    return coordinator.recover(groupUuid, FailureKind.HOST, groupUuid, Set.of());
  }

  @Override public MemberView migrate(String vmUuid, String hostUuid) {
    throw new ServiceException(ServiceException.Reason.WRONG_STATE, "vmqsc does not migrate VMs itself in"
        + " CloudStack: migrate the VM with CloudStack's migrateVirtualMachine");
  }

  /**
   * CloudStack found the host Down: fence it, then recover every automatic group with a VM on it. Each recovery, or
   * why none ran, goes to CloudStack's events.
   */
  public synchronized List<RecoveryEventView> hostDown(String hostUuid) {
    if (service.groupsOnHost(hostUuid).isEmpty()) return List.of();
    log.warn("vmqsc: host {} is Down: fencing it, then recovering its protection groups", hostUuid);
    try {
      List<RecoveryEventView> done = coordinator.onHostFailed(hostUuid);
      for (RecoveryEventView r : done) {
        events.recovery(r.state() == RecoveryState.SUCCEEDED, "vmqsc recovered protection group "
            + service.group(r.groupUuid()).name() + " after host " + hostUuid + " went Down: " + r.outcome());
      }
      return done;
    } catch (RuntimeException e) {
      log.error("vmqsc: recovery after the failure of host {} did not run: {}", hostUuid, e.getMessage());
      events.recovery(false, "vmqsc could not recover the protection groups of host " + hostUuid
          + ", which went Down: " + e.getMessage());
      return List.of();
    }
  }

  /**
   * What a host needs to run the group: its schedule, start, and members with their hosts' relays and their NICs on
   * the relay network.
   */
  public Deploy deployment(String groupUuid, List<Integer> boot) {
    GroupView group = service.group(groupUuid);
    if (group.startedMs() == null) {
      throw new ServiceException(ServiceException.Reason.WRONG_STATE, "group " + groupUuid + " is not enabled");
    }
    List<Member> members = new ArrayList<>();
    for (MemberView m : service.members(groupUuid)) {
      String relay = m.hostUuid() == null ? null : hosts.byUuid(m.hostUuid()).map(KnownHosts.KnownHost::relay).orElse(null);
      members.add(new Member(m.number(), m.vmUuid(), m.hostUuid(), relay == null ? "0.0.0.0:9" : relay,
          relayMacs.apply(m.vmUuid())));
    }
    return new Deploy(groupUuid, service.config(groupUuid), group.startedMs(), members, NO_SIMULATED_GUESTS, boot);
  }
}
