package org.vmqsc.plugin.server.host;

import com.cloud.host.Host;
import com.cloud.utils.Pair;
import com.cloud.utils.db.EntityManager;
import com.cloud.utils.fsm.StateListener;
import com.cloud.utils.fsm.StateMachine2;
import com.cloud.vm.VirtualMachine;
import com.cloud.vm.VirtualMachine.Event;
import com.cloud.vm.VirtualMachine.State;
import java.util.Optional;
import java.util.concurrent.Executor;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.vmqsc.agent.node.MigrationRefusedException;
import org.vmqsc.server.recovery.MigrationCoordinator;
import org.vmqsc.server.service.ProtectionService;

/**
 * The protection follows a VM CloudStack live-migrates (an admin, host maintenance, DRS): when CloudStack's state
 * machine records a migration that succeeded (Migrating to Running on another host), the runtime's migration
 * hand-off moves the VM's protocol state from the old host's node to the new one's, the service records the new
 * host and every host learns where the VM runs ({@link MigrationCoordinator}). A migration that failed leaves the
 * VM, and its protection, on its source host: nothing is done. The hand-off runs on the plugin's own thread, never
 * inside CloudStack's transition; a source whose writes are not yet stable refuses and is asked again.
 */
public final class MigrationFollower implements StateListener<State, Event, VirtualMachine> {

  private static final Logger log = LogManager.getLogger(MigrationFollower.class);
  private static final int ATTEMPTS = 20;
  private static final long RETRY_MS = 500;

  private final ProtectionService service;
  private final EntityManager entities;
  private final MigrationCoordinator migrations;
  private final Executor thread;
  /** CloudStack's state machine has no way to remove a listener: a stopped follower stays registered, inert. */
  private volatile boolean stopped;

  public MigrationFollower(ProtectionService service, EntityManager entities, MigrationCoordinator migrations,
                           Executor thread) {
    this.service = service;
    this.entities = entities;
    this.migrations = migrations;
    this.thread = thread;
  }

  @Override public boolean preStateTransitionEvent(State oldState, Event event, State newState, VirtualMachine vm,
                                                   boolean status, Object opaque) {
    return true;
  }

  @Override public boolean postStateTransitionEvent(StateMachine2.Transition<State, Event> transition,
                                                    VirtualMachine vm, boolean status, Object opaque) {
    if (stopped || !status || transition.getCurrentState() != State.Migrating || transition.getToState() != State.Running
        || transition.getEvent() != Event.OperationSucceeded || !(opaque instanceof Pair<?, ?> hosts)) {
      return true;
    }
    Object from = hosts.first();
    Object to = hosts.second();
    if (to == null || to.equals(from)) return true;
    Optional<String> group = service.groupOfVm(vm.getUuid());
    if (group.isEmpty()) return true;
    Host target = entities.findById(Host.class, (Long) to);
    if (target == null) return true;
    thread.execute(() -> handOff(group.get(), vm.getUuid(), target.getUuid()));
    return true;
  }

  /** From now on, transitions are ignored (the manager stopped). */
  public void stop() {
    stopped = true;
  }

  private void handOff(String group, String vm, String target) {
    for (int attempt = 1; ; attempt++) {
      try {
        migrations.migrate(group, vm, target);
        return;
      } catch (MigrationRefusedException e) {
        if (attempt >= ATTEMPTS) {
          log.error("vmqsc: VM {} moved to host {} but its protection could not follow: {}", vm, target,
              e.getMessage());
          return;
        }
        sleep();
      } catch (RuntimeException e) {
        log.error("vmqsc: the protection of VM {} could not follow it to host {}: {}", vm, target, e.getMessage());
        return;
      }
    }
  }

  private static void sleep() {
    try {
      Thread.sleep(RETRY_MS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
