package org.vmqsc.server.catalog;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.sql.Connection;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;
import org.vmqsc.server.service.FailureKind;
import org.vmqsc.server.service.RecoveryPolicy;
import org.vmqsc.server.service.RecoveryState;
import org.vmqsc.server.service.ServiceException;
import org.vmqsc.server.service.Views.GroupView;
import org.vmqsc.server.service.Views.RecoveryEventView;

/** Moving a VM and finishing a recovery change a group, so they wait for the group's row lock like every change. */
public class GroupLockTest {

  private CatalogFixture fixture;
  private Catalog a;
  private Catalog b;
  private GroupView group;

  @Before public void setUp() {
    fixture = CatalogFixture.fresh("locks");
    a = fixture.catalog("manager-a");
    b = fixture.catalog("manager-b");
    group = a.createGroup("locked", 1000, RecoveryPolicy.MANUAL, null);
    a.addVm(group.uuid(), "vm-0", "SI", "host-a");
    a.addVm(group.uuid(), "vm-1", "SI", "host-b");
  }

  @After public void tearDown() {
    fixture.close();
  }

  @Test public void moveVmWaitsForTheGroupLockAndOtherManagersSeeTheMove() throws Exception {
    assertEquals("host-a", b.members(group.uuid()).get(0).hostUuid());
    try (Connection holder = holdGroupLock()) {
      CompletableFuture<Void> move = CompletableFuture.runAsync(() -> a.moveVm("vm-0", "host-c"));
      assertStillWaiting(move);
      holder.commit();
      move.get(10, TimeUnit.SECONDS);
    }
    assertEquals("host-c", b.members(group.uuid()).get(0).hostUuid());
    assertEquals(List.of(group.uuid()), b.groupsOnHost("host-c"));
  }

  @Test public void finishRecoveryWaitsForTheGroupLockAndTwoManagersCannotBothFinishIt() throws Exception {
    RecoveryEventView event = a.claimRecovery(group.uuid(), FailureKind.VM, "vm-0", null).orElseThrow();
    try (Connection holder = holdGroupLock()) {
      CompletableFuture<RecoveryEventView> finish =
          CompletableFuture.supplyAsync(() -> a.finishRecovery(event.uuid(), true, 0, "ok"));
      assertStillWaiting(finish);
      holder.commit();
      assertEquals(RecoveryState.SUCCEEDED, finish.get(10, TimeUnit.SECONDS).state());
    }

    // Two managers at once, one says it worked and one says it failed: one wins, the other is told.
    RecoveryEventView second = a.claimRecovery(group.uuid(), FailureKind.VM, "vm-1", null).orElseThrow();
    CountDownLatch start = new CountDownLatch(1);
    List<CompletableFuture<Optional<RecoveryEventView>>> finishes = new ArrayList<>();
    for (Catalog manager : List.of(a, b)) {
      boolean succeeded = manager == a;
      finishes.add(CompletableFuture.supplyAsync(() -> {
        try {
          start.await();
          return Optional.of(manager.finishRecovery(second.uuid(), succeeded, 0, succeeded ? "ok" : "failed"));
        } catch (ServiceException e) {
          assertEquals(ServiceException.Reason.WRONG_STATE, e.reason());
          return Optional.empty();
        } catch (InterruptedException e) {
          throw new IllegalStateException(e);
        }
      }));
    }
    start.countDown();
    List<RecoveryEventView> won = new ArrayList<>();
    for (CompletableFuture<Optional<RecoveryEventView>> f : finishes) f.get(30, TimeUnit.SECONDS).ifPresent(won::add);
    assertEquals(1, won.size());
    assertEquals(won.get(0).state(), a.listRecoveryEvents(group.uuid(), org.vmqsc.server.service.PageRequest.first(5))
        .items().get(0).state());
    assertTrue(a.runningRecoveries().isEmpty());
  }

  private Connection holdGroupLock() throws Exception {
    return fixture.holdGroupLock(group.uuid());
  }

  private static void assertStillWaiting(CompletableFuture<?> call) throws InterruptedException, ExecutionException {
    try {
      call.get(500, TimeUnit.MILLISECONDS);
      assertFalse("finished while another session held the group's row lock", true);
    } catch (TimeoutException expected) {
      // waiting for the lock, as it should
    }
  }
}
