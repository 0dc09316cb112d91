package org.vmqsc.plugin.server.host;

import static org.mockito.ArgumentMatchers.any;
import static org.mockito.Mockito.doThrow;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.times;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.verifyNoInteractions;
import static org.mockito.Mockito.when;

import com.cloud.host.Host;
import com.cloud.utils.Pair;
import com.cloud.utils.db.EntityManager;
import com.cloud.utils.fsm.StateMachine2;
import com.cloud.vm.VirtualMachine;
import com.cloud.vm.VirtualMachine.Event;
import com.cloud.vm.VirtualMachine.State;
import org.junit.Before;
import org.junit.Test;
import org.vmqsc.agent.node.MigrationRefusedException;
import org.vmqsc.server.recovery.MigrationCoordinator;
import org.vmqsc.server.service.RecoveryPolicy;
import org.vmqsc.server.service.memory.InMemoryProtectionService;

/**
 * CloudStack's VM state machine tells of live migrations; the protection follows the ones that succeeded, to the
 * host CloudStack moved the VM to, asking again while the source refuses. The runtime's hand-off itself
 * (MigrationCoordinator) is server-ext's, tested there; here it is a mock.
 */
public class MigrationFollowerTest {

  private final InMemoryProtectionService service = new InMemoryProtectionService();
  private final EntityManager entities = mock(EntityManager.class);
  private final MigrationCoordinator migrations = mock(MigrationCoordinator.class);
  private final VirtualMachine protectedVm = vm("vm-0");
  private MigrationFollower follower;
  private String group;

  @Before
  public void setUp() {
    group = service.createGroup("g", 1000, RecoveryPolicy.AUTOMATIC, null).uuid();
    service.addVm(group, "vm-0", "SI", "host-1");
    Host target = mock(Host.class);
    when(target.getUuid()).thenReturn("host-2");
    when(entities.findById(Host.class, 2L)).thenReturn(target);
    follower = new MigrationFollower(service, entities, migrations, Runnable::run);
  }

  @Test
  public void aMigrationThatSucceededHandsTheProtectionToTheNewHost() {
    follower.postStateTransitionEvent(transition(State.Migrating, Event.OperationSucceeded, State.Running),
        protectedVm, true, new Pair<>(1L, 2L));
    verify(migrations).migrate(group, "vm-0", "host-2");
  }

  @Test
  public void aMigrationThatFailedLeavesTheProtectionOnTheSource() {
    follower.postStateTransitionEvent(transition(State.Migrating, Event.OperationFailed, State.Running),
        protectedVm, true, new Pair<>(1L, 1L));
    follower.postStateTransitionEvent(transition(State.Running, Event.MigrationRequested, State.Migrating),
        protectedVm, true, new Pair<>(1L, 2L));
    verifyNoInteractions(migrations);
  }

  @Test
  public void theTargetExpectsTheVmFromTheStartOfTheMoveAndNoLongerWhenItFails() {
    Host source = mock(Host.class);
    when(source.getUuid()).thenReturn("host-1");
    when(entities.findById(Host.class, 1L)).thenReturn(source);
    MigrationFollower.Expectations expectations = mock(MigrationFollower.Expectations.class);
    MigrationFollower told = new MigrationFollower(service, entities, migrations, Runnable::run, expectations);

    told.postStateTransitionEvent(transition(State.Running, Event.MigrationRequested, State.Migrating),
        protectedVm, true, new Pair<>(1L, 2L));
    verify(expectations).moving(group, "vm-0", "host-2");
    told.postStateTransitionEvent(transition(State.Migrating, Event.OperationFailed, State.Running),
        protectedVm, true, new Pair<>(1L, 1L));
    verify(expectations).stayed(group, "vm-0", "host-1", "host-2");
    verifyNoInteractions(migrations);

    told.postStateTransitionEvent(transition(State.Running, Event.MigrationRequested, State.Migrating),
        protectedVm, true, new Pair<>(1L, 2L));
    told.postStateTransitionEvent(transition(State.Migrating, Event.OperationSucceeded, State.Running),
        protectedVm, true, new Pair<>(1L, 2L));
    verify(migrations).migrate(group, "vm-0", "host-2");
    verify(expectations, times(1)).stayed(any(), any(), any(), any()); // a success is no failure
  }

  @Test
  public void aStoppedFollowerIgnoresMigrations() {
    follower.stop(); // CloudStack's state machine cannot remove a listener: it stays registered, inert
    follower.postStateTransitionEvent(transition(State.Migrating, Event.OperationSucceeded, State.Running),
        protectedVm, true, new Pair<>(1L, 2L));
    verifyNoInteractions(migrations);
  }

  @Test
  public void anUnprotectedVmIsNotFollowed() {
    follower.postStateTransitionEvent(transition(State.Migrating, Event.OperationSucceeded, State.Running),
        vm("other"), true, new Pair<>(1L, 2L));
    verifyNoInteractions(migrations);
  }

  @Test
  public void aSourceThatRefusesForNowIsAskedAgain() {
    doThrow(new MigrationRefusedException("checkpoint 4 not stable yet"))
        .doThrow(new MigrationRefusedException("checkpoint 4 not stable yet"))
        .doNothing().when(migrations).migrate(any(), any(), any());
    follower.postStateTransitionEvent(transition(State.Migrating, Event.OperationSucceeded, State.Running),
        protectedVm, true, new Pair<>(1L, 2L));
    verify(migrations, times(3)).migrate(group, "vm-0", "host-2");
  }

  @SuppressWarnings("unchecked")
  private static StateMachine2.Transition<State, Event> transition(State from, Event event, State to) {
    StateMachine2.Transition<State, Event> t = mock(StateMachine2.Transition.class);
    when(t.getCurrentState()).thenReturn(from);
    when(t.getEvent()).thenReturn(event);
    when(t.getToState()).thenReturn(to);
    return t;
  }

  private static VirtualMachine vm(String uuid) {
    VirtualMachine vm = mock(VirtualMachine.class);
    when(vm.getUuid()).thenReturn(uuid);
    return vm;
  }
}
