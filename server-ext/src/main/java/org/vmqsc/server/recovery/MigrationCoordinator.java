package org.vmqsc.server.recovery;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vmqsc.agent.node.VmMigration;
import org.vmqsc.server.service.ProtectionService;
import org.vmqsc.server.service.Views.MemberView;

/**
 * Moves one VM of a running group to another host, live:
 *
 * <ol>
 *   <li><b>emigrate</b> at the source: the VM's protocol state and guest are handed out (a source that refuses,
 *       because the VM has writes on their way to stable storage, changes nothing: ask again later);</li>
 *   <li><b>immigrate</b> at the target: it runs the VM from now on;</li>
 *   <li><b>record</b> the move in the service ({@link ProtectionService#moveVm});</li>
 *   <li><b>tell every live host</b> the new placement: they route to the target and resend what was on its way
 *       to the source.</li>
 * </ol>
 *
 * The service's member host is the authority on where a VM runs, and each step keeps the hosts in line with it:
 * a target that does not take the VM over is fenced (it may have taken it after all) and the VM goes back to the
 * source; a service that cannot record the move gets the VM back on the source too. A VM that ends up running
 * nowhere (the source and the target both failed in the middle) is failed on its recorded host, and that host's
 * recovery restores it to the line like any VM of a failed host: never twice, never nowhere for good.
 */
public final class MigrationCoordinator {

  private static final Logger log = LoggerFactory.getLogger(MigrationCoordinator.class);

  private final ProtectionService service;
  private final HostChannel hosts;

  public MigrationCoordinator(ProtectionService service, HostChannel hosts) {
    this.service = service;
    this.hosts = hosts;
  }

  /**
   * Migrates {@code vmUuid} of {@code groupUuid} to {@code target}. Returns when the VM runs there and every
   * reachable host knows; throws, with the VM on its source (or failed with it), otherwise.
   */
  public void migrate(String groupUuid, String vmUuid, String target) {
    MemberView member = service.members(groupUuid).stream().filter(m -> m.vmUuid().equals(vmUuid)).findFirst()
        .orElseThrow(() -> new IllegalArgumentException("VM " + vmUuid + " is not a member of group " + groupUuid));
    String source = member.hostUuid();
    if (target == null || target.isBlank()) throw new IllegalArgumentException("a migration needs a target host");
    if (target.equals(source)) throw new IllegalArgumentException("VM " + vmUuid + " runs on " + target + " already");
    if (!hosts.liveHosts().contains(target)) throw new HostUnreachableException(target, "it is not live");
    int vm = member.number();

    VmMigration migration = hosts.emigrate(source, groupUuid, vm, target);
    try {
      hosts.immigrate(target, groupUuid, migration);
    } catch (HostUnreachableException e) {
      hosts.fence(target); // it may have taken the VM over before it stopped answering: it must not run it on
      backToSource(groupUuid, vmUuid, source, migration, e);
      throw e;
    } catch (RuntimeException e) {
      backToSource(groupUuid, vmUuid, source, migration, e);
      throw e;
    }
    try {
      service.moveVm(vmUuid, target);
    } catch (RuntimeException e) {
      // The service still names the source: the VM goes back there, so hosts and service agree.
      try {
        hosts.immigrate(source, groupUuid, hosts.emigrate(target, groupUuid, vm, source));
      } catch (RuntimeException back) {
        e.addSuppressed(back);
        log.error("VM {} runs on {} but the service names {}: {}", vmUuid, target, source, back.getMessage());
      }
      throw e;
    }
    for (String h : hosts.liveHosts()) {
      try {
        hosts.placement(h, groupUuid, vm, target);
      } catch (HostUnreachableException e) {
        log.warn("{}: it learns where VM {} runs when it rejoins", e.getMessage(), vmUuid);
      }
    }
    log.debug("VM {} of group {} migrated from {} to {}", vmUuid, groupUuid, source, target);
  }

  private void backToSource(String group, String vmUuid, String source, VmMigration migration, RuntimeException why) {
    try {
      hosts.immigrate(source, group, migration);
    } catch (RuntimeException back) {
      why.addSuppressed(back);
      if (back instanceof HostUnreachableException) hosts.fence(source); // so it is declared failed and recovered
      log.error("VM {} runs nowhere after a failed migration ({}); its host {} is recovered as failed",
          vmUuid, back.getMessage(), source);
    }
  }
}
