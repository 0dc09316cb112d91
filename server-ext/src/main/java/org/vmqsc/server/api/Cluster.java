package org.vmqsc.server.api;

import java.util.Optional;
import org.vmqsc.server.service.Views.GroupView;
import org.vmqsc.server.service.Views.MemberView;
import org.vmqsc.server.service.Views.RecoveryEventView;

/**
 * What the API's async commands ask of the hosts, run on a job thread: the standalone manager plugs its agents
 * and {@code RecoveryCoordinator} in here (a CloudStack plugin, its own). A {@code ServiceException} or any other
 * exception fails the job with its message.
 */
public interface Cluster {

  /**
   * Starts the group's protection on its hosts: every VM boots with its first checkpoint, and the group's
   * membership is final from then on. Starting a started group changes nothing.
   */
  GroupView enable(String groupUuid);

  /**
   * Recovers the group now. Empty when nothing had to be recovered or another manager already runs the
   * recovery.
   */
  Optional<RecoveryEventView> recover(String groupUuid);

  /**
   * Moves a protected VM to {@code hostUuid} while its group runs (live migration); returns the VM as it now is.
   * Nothing is lost or delivered twice, and its next checkpoints are taken on the new host.
   */
  MemberView migrate(String vmUuid, String hostUuid);

  /**
   * Deletes the group and stops its protection on every host it reaches: no more checkpoints, logs or reports of
   * it. The VMs themselves are the hypervisor's (the standalone agent's simulated guests stop with their group); what
   * the group stored goes at the hosts' next reconciliation. A host that cannot be reached drops the group when it
   * hears its reports refused.
   */
  void delete(String groupUuid);
}
