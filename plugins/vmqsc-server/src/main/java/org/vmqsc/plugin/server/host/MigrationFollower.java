package org.vmqsc.plugin.server.host;

import com.cloud.host.Host;
import com.cloud.utils.Pair;
import com.cloud.utils.db.EntityManager;
import com.cloud.utils.fsm.StateListener;
import com.cloud.utils.fsm.StateMachine2;
import com.cloud.vm.VirtualMachine;
import com.cloud.vm.VirtualMachine.Event;
import com.cloud.vm.VirtualMachine.State;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
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
  private final Expectations expectations;
  /** Protected VMs CloudStack is moving, and the host each goes to. */
  private final Map<String, String> movingTo = new ConcurrentHashMap<>();
  /** CloudStack's state machine has no way to remove a listener: a stopped follower stays registered, inert. */
  private volatile boolean stopped;

  /**
   * Told when CloudStack starts moving a protected VM, so that its target host expects it (the guest runs there,
   * and sends, before CloudStack records the migration and the hand-off follows), and when such a move failed.
   */
  public interface Expectations {
    void moving(String group, String vmUuid, String targetHostUuid);

    void stayed(String group, String vmUuid, String sourceHostUuid, String targetHostUuid);

    Expectations NONE = new Expectations() {
      @Override public void moving(String group, String vmUuid, String targetHostUuid) {}

      @Override public void stayed(String group, String vmUuid, String sourceHostUuid, String targetHostUuid) {}
    };
  }

  public MigrationFollower(ProtectionService service, EntityManager entities, MigrationCoordinator migrations,
                           Executor thread) {
    this(service, entities, migrations, thread, Expectations.NONE);
  }

  public MigrationFollower(ProtectionService service, EntityManager entities, MigrationCoordinator migrations,
                           Executor thread, Expectations expectations) {
    this.expectations = expectations;
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
    if (stopped || !status || !(opaque instanceof Pair<?, ?> hosts)) return true;
    if (transition.getCurrentState() == State.Running && transition.getToState() == State.Migrating
        && transition.getEvent() == Event.MigrationRequested) {
      starting(vm, hosts);
      return true;
    }
    if (transition.getCurrentState() != State.Migrating || transition.getToState() != State.Running) return true;
    if (transition.getEvent() != Event.OperationSucceeded) {
      stayed(vm, hosts);
      return true;
    }
    movingTo.remove(vm.getUuid());
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

  /** CloudStack starts moving {@code vm} (hosts: its host, the target): the target expects it from now on. */
  private void starting(VirtualMachine vm, Pair<?, ?> hosts) {
    if (hosts.second() == null || hosts.second().equals(hosts.first())) return;
    Optional<String> group = service.groupOfVm(vm.getUuid());
    Host target = entities.findById(Host.class, (Long) hosts.second());
    if (group.isEmpty() || target == null) return;
    movingTo.put(vm.getUuid(), target.getUuid());
    thread.execute(() -> expectations.moving(group.get(), vm.getUuid(), target.getUuid()));
  }

  /** The move failed: the VM runs on where it was; the target it was going to expects it no more. */
  private void stayed(VirtualMachine vm, Pair<?, ?> hosts) {
    String target = movingTo.remove(vm.getUuid());
    Optional<String> group = service.groupOfVm(vm.getUuid());
    Host source = hosts.second() == null ? null : entities.findById(Host.class, (Long) hosts.second());
    if (target == null || group.isEmpty() || source == null) return;
    thread.execute(() -> expectations.stayed(group.get(), vm.getUuid(), source.getUuid(), target));
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
