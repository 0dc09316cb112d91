package org.vmqsc.server.catalog;

import org.vmqsc.server.service.Views;
import org.vmqsc.server.service.RecoveryState;
import org.vmqsc.server.service.FailureKind;
import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;

import java.util.List;
import java.util.Optional;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;
import org.vmqsc.protocol.VmClass;
import org.vmqsc.protocol.manager.Collectible;
import org.vmqsc.protocol.manager.RecoveryLine;
import org.vmqsc.protocol.recovery.RecoveryPlan;
import org.vmqsc.protocol.recovery.RecoveryPlanner;
import org.vmqsc.server.service.Views.CollectionResult;
import org.vmqsc.server.service.Views.GroupView;
import org.vmqsc.server.service.Views.HostFailurePlan;
import org.vmqsc.server.service.Views.LineView;
import org.vmqsc.server.service.Views.RecoveryEventView;
import org.vmqsc.server.service.ArtifactState;
import org.vmqsc.server.service.PageRequest;
import org.vmqsc.server.persistence.RecoveryEventEntity;

/** A simulated group's reports go in; the line, the collection and the recovery plan must be the protocol's. */
public class CatalogEndToEndTest {

  private CatalogFixture fixture;
  private Catalog catalog;
  private SimulatedGroup group;
  private GroupView view;

  @Before public void setUp() {
    fixture = CatalogFixture.fresh("e2e");
    catalog = fixture.catalog("manager-a");
    group = new SimulatedGroup("g1", List.of(VmClass.SI, VmClass.SI, VmClass.mi(2), VmClass.mi(3), VmClass.SI), 2, 7);
    view = Feeding.register(catalog, group);
  }

  @After public void tearDown() {
    fixture.close();
  }

  @Test public void theLineFollowsTheProtocolIntervalByInterval() {
    Feeding.feedAll(catalog, group.all()); // checkpoint 0 of every VM
    for (int interval = 0; interval < 10; interval++) {
      Feeding.feedAll(catalog, group.runInterval(12));
      assertSameLine(group.reference.advance().orElse(group.reference.line()));
    }
    Feeding.feedAll(catalog, group.drain());
    group.reference.advance();
    assertSameLine(group.reference.line());
    assertTrue("the line moved past the start", group.reference.line().index() >= 5);
    assertEquals(group.reference.line().index(), (long) catalog.listGroups(PageRequest.first(10)).items().get(0).lineIndex());
  }

  @Test public void batchesPerHostMoveTheLineAsTheProtocolSays() {
    Feeding.feedBatched(catalog, group.all());
    for (int interval = 0; interval < 10; interval++) {
      List<Views.ReportResult> results = Feeding.feedBatched(catalog, group.runInterval(12));
      java.util.Optional<RecoveryLine> moved = group.reference.advance();
      assertSameLine(moved.orElse(group.reference.line()));
      // The line moved once, in the batch that completed it, and that batch says so.
      List<LineView> lines = results.stream().map(Views.ReportResult::lineMoved).filter(l -> l != null).toList();
      if (moved.isPresent()) assertEquals(moved.get().index(), lines.get(lines.size() - 1).index());
      else assertEquals(List.of(), lines);
    }
    // Sent again, all in one batch per host: nothing changes.
    for (Views.ReportResult r : Feeding.feedBatched(catalog, group.all())) {
      assertFalse(r.outcome() + "", r.changedSomething());
    }
    assertEquals(group.reference.line().index(), (long) catalog.group(view.uuid()).lineIndex());
    assertEquals(group.config, catalog.config(view.uuid()));
  }

  @Test public void collectionRemovesWhatTheProtocolSaysLiesBehindTheLine() {
    Feeding.feedAll(catalog, group.all());
    for (int interval = 0; interval < 8; interval++) Feeding.feedAll(catalog, group.runInterval(10));
    group.reference.advance();
    Collectible expected = group.reference.collectible();
    long liveBefore = fixture.count("SELECT COUNT(*) FROM vmqsc_checkpoint WHERE removed IS NULL");

    CollectionResult collected = catalog.collect(view.uuid());

    assertEquals(expected.checkpoints().size(), collected.checkpoints());
    assertEquals(expected.segments().size(), collected.logSegments());
    assertEquals(collected.checkpoints() + collected.logSegments() + collected.loggedMessages(),
        collected.locations().size());
    assertEquals(liveBefore - collected.checkpoints(),
        fixture.count("SELECT COUNT(*) FROM vmqsc_checkpoint WHERE removed IS NULL"));
    assertEquals(collected.checkpoints(),
        fixture.count("SELECT COUNT(*) FROM vmqsc_checkpoint WHERE state = 'COLLECTED'"));
    // Nothing the line needs was collected, and collecting again finds nothing more.
    LineView line = catalog.currentLine(view.uuid()).orElseThrow();
    for (Views.CheckpointView c : catalog.listCheckpoints(view.uuid(), false, new PageRequest(0, 1000)).items()) {
      assertTrue(c + " is not behind the line", c.index() >= line.checkpointIndexOf(c.vmUuid()));
    }
    assertEquals(0, catalog.collect(view.uuid()).locations().size());

    // After collection the line keeps moving exactly as the protocol's.
    group.reference.collect();
    for (int interval = 0; interval < 3; interval++) Feeding.feedAll(catalog, group.runInterval(10));
    group.reference.advance();
    assertSameLine(group.reference.line());
  }

  @Test public void aHostFailurePlanIsTheProtocolsPlanAndOnlyOneManagerRunsIt() {
    Feeding.feedAll(catalog, group.all());
    for (int interval = 0; interval < 6; interval++) Feeding.feedAll(catalog, group.runInterval(15));
    group.reference.advance();
    int failedHost = 1;
    java.util.Set<Integer> failed = new java.util.TreeSet<>();
    for (int vm = 0; vm < group.size(); vm++) if (group.hostOf(vm) == failedHost) failed.add(vm);
    RecoveryPlan expected = RecoveryPlanner.planHostFailure(group.config, group.reference, failed,
        group.survivorsWithout(failedHost), group.stableInTransit);

    HostFailurePlan plan = catalog.planRecovery(view.uuid(), vmsOn(failedHost), group.survivorsWithout(failedHost));

    assertEquals(expected.lineIndex(), plan.plan().lineIndex());
    assertEquals(expected.rolledBack(), plan.plan().rolledBack());
    assertEquals(expected.replayCount(), plan.plan().replayCount());
    for (int i = 0; i < expected.restores().size(); i++) {
      assertEquals(expected.restores().get(i).checkpoint().index(), plan.plan().restores().get(i).checkpoint().index());
      assertEquals(expected.restores().get(i).replays().size(), plan.restores().get(i).replayedMessages());
    }
    assertEquals(String.join(",", new java.util.TreeSet<>(vmsOn(failedHost))), plan.failedRef());
    assertEquals(List.of(view.uuid()), catalog.groupsOnHost(group.hostUuid(failedHost)));

    Catalog otherManager = fixture.catalog("manager-b");
    Optional<RecoveryEventView> claimed = catalog.claimRecovery(view.uuid(), FailureKind.HOST,
        group.hostUuid(failedHost), plan);
    Optional<RecoveryEventView> second = otherManager.claimRecovery(view.uuid(),
        FailureKind.HOST, group.hostUuid(failedHost), plan);

    assertTrue(claimed.isPresent());
    assertFalse("the second manager must not run the same recovery", second.isPresent());
    assertFalse("claiming again is harmless", catalog.claimRecovery(view.uuid(), FailureKind.HOST,
        group.hostUuid(failedHost), plan).isPresent());
    // Any manager can resume it: the plan comes back exactly as claimed.
    assertEquals(List.of(claimed.get().uuid()),
        otherManager.runningRecoveries().stream().map(RecoveryEventView::uuid).toList());
    assertEquals(plan, otherManager.claimedPlan(claimed.get().uuid()));
    for (String vm : plan.rolledBackVmUuids()) {
      assertEquals(1, catalog.members(view.uuid()).stream().filter(m -> m.vmUuid().equals(vm)).findFirst()
          .orElseThrow().incarnation());
    }
    RecoveryEventView done = otherManager.finishRecovery(claimed.get().uuid(), true, plan.plan().replayCount(), "ok");
    assertEquals(RecoveryState.SUCCEEDED, done.state());
    assertEquals(List.of(), catalog.runningRecoveries());
    assertEquals("manager-a", done.owner());
    assertEquals(plan.rolledBackVmUuids(), done.rolledBack());
    assertNotNull(done.durationMs());
    assertEquals(1, catalog.listRecoveryEvents(view.uuid(), PageRequest.first(10)).total());
    // Nothing after the line survives for the rolled-back VMs.
    assertEquals(0, fixture.count("SELECT COUNT(*) FROM vmqsc_checkpoint c JOIN vmqsc_group_member m"
        + " ON c.member_id = m.id WHERE m.incarnation = 1 AND c.csn > " + plan.plan().lineIndex()
        + " AND c.state <> 'DISCARDED'"));
  }

  @Test public void afterAHostRecoveryTheLineKeepsFollowingTheProtocol() {
    Feeding.feedAll(catalog, group.all());
    for (int interval = 0; interval < 6; interval++) Feeding.feedAll(catalog, group.runInterval(15));
    group.reference.advance();
    int failedHost = 1;

    HostFailurePlan plan = catalog.planRecovery(view.uuid(), vmsOn(failedHost), group.survivorsWithout(failedHost));
    List<SimulatedGroup.Report> afterRecovery = group.failHostAndRecover(failedHost, 0);
    assertEquals(group.lastPlan.rolledBack(), plan.plan().rolledBack());
    assertEquals(group.lastPlan.lineIndex(), plan.plan().lineIndex());
    assertTrue(catalog.claimRecovery(view.uuid(), FailureKind.HOST, group.hostUuid(failedHost),
        plan).isPresent());
    for (String vm : plan.rolledBackVmUuids()) catalog.moveVm(vm, group.hostUuid(0));

    Feeding.feedAll(catalog, afterRecovery);
    for (int interval = 0; interval < 6; interval++) {
      Feeding.feedAll(catalog, group.runInterval(15));
      assertSameLine(group.reference.advance().orElse(group.reference.line()));
    }
    assertTrue("the line moved past the recovery", group.reference.line().index() > plan.plan().lineIndex());
    // The discarded executions' reports, delivered late now, change nothing.
    long rows = fixture.count("SELECT COUNT(*) FROM vmqsc_checkpoint WHERE removed IS NULL");
    for (SimulatedGroup.Report r : group.all().subList(0, group.all().size() / 2)) {
      Views.ReportOutcome outcome = Feeding.feed(catalog, r).outcome();
      assertTrue(outcome + " for " + r, outcome == Views.ReportOutcome.IGNORED
          || outcome == Views.ReportOutcome.DUPLICATE);
    }
    assertEquals(rows, fixture.count("SELECT COUNT(*) FROM vmqsc_checkpoint WHERE removed IS NULL"));
    assertSameLine(group.reference.line());
  }

  @Test public void aVmFailureRestartsFromItsLatestCheckpoint() {
    Feeding.feedAll(catalog, group.all());
    Feeding.feedAll(catalog, group.runInterval(5));
    Views.VmFailurePlan plan = catalog.planVmFailure(group.vmUuid(0));
    assertEquals(1, plan.checkpointIndex());
    assertEquals(ArtifactState.STABLE, plan.checkpointState());
    assertEquals(group.hostUuid(0), plan.hostUuid());
  }

  private java.util.Set<String> vmsOn(int host) {
    java.util.Set<String> vms = new java.util.TreeSet<>();
    for (int vm = 0; vm < group.size(); vm++) if (group.hostOf(vm) == host) vms.add(group.vmUuid(vm));
    return vms;
  }

  private void assertSameLine(RecoveryLine expected) {
    Optional<LineView> line = catalog.currentLine(view.uuid());
    if (expected == null) {
      assertFalse(line.isPresent());
      return;
    }
    assertEquals(expected.index(), line.orElseThrow().index());
    long[] csns = new long[group.size()];
    for (int vm = 0; vm < group.size(); vm++) csns[vm] = line.get().checkpointIndexOf(group.vmUuid(vm));
    assertArrayEquals(expected.checkpointOf(), csns);
  }
}
