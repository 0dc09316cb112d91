package org.vmqsc.server.catalog;

import org.vmqsc.server.service.Views;
import org.vmqsc.server.service.BoundaryReport;
import org.vmqsc.server.service.FailureKind;
import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;
import org.vmqsc.protocol.VmClass;
import org.vmqsc.protocol.manager.RecoveryLine;
import org.vmqsc.server.service.Views.GroupView;
import org.vmqsc.server.service.Views.LineView;
import org.vmqsc.server.service.PageRequest;

/** Many threads, and several management servers, report for one group at once. */
public class ConcurrentReportsTest {

  private CatalogFixture fixture;
  private SimulatedGroup group;

  @Before public void setUp() {
    fixture = CatalogFixture.fresh("concurrent");
    group = new SimulatedGroup("busy", List.of(VmClass.SI, VmClass.SI, VmClass.mi(2), VmClass.SI, VmClass.mi(3),
        VmClass.SI), 3, 21);
    for (int i = 0; i < 10; i++) group.runInterval(15);
    group.drain();
  }

  @After public void tearDown() {
    fixture.close();
  }

  @Test public void manyThreadsOfOneManagerLoseNothingAndEndAtTheProtocolsLine() throws Exception {
    Catalog catalog = fixture.catalog("manager-a");
    GroupView view = Feeding.register(catalog, group);

    feedConcurrently(List.of(catalog), 8);

    assertFinalState(catalog, view);
  }

  @Test public void twoManagersRacingOnOneGroupEndAtTheProtocolsLine() throws Exception {
    Catalog a = fixture.catalog("manager-a");
    Catalog b = fixture.catalog("manager-b");
    GroupView view = Feeding.register(a, group);

    feedConcurrently(List.of(a, b), 4);

    assertFinalState(a, view);
    assertFinalState(b, view);
  }

  @Test public void twoManagersClaimingTheSameRecoveryAtOnceNeverBothGetIt() throws Exception {
    Catalog a = fixture.catalog("manager-a");
    Catalog b = fixture.catalog("manager-b");
    GroupView view = Feeding.register(a, group);
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      for (int failure = 0; failure < 10; failure++) {
        String failed = "vm-failure-" + failure;
        java.util.concurrent.CountDownLatch start = new java.util.concurrent.CountDownLatch(1);
        List<Future<java.util.Optional<Views.RecoveryEventView>>> claims = new ArrayList<>();
        for (Catalog manager : List.of(a, b)) {
          claims.add(pool.submit(() -> {
            start.await();
            return manager.claimRecovery(view.uuid(), org.vmqsc.server.service.FailureKind.VM,
                failed, null);
          }));
        }
        start.countDown();
        int won = 0;
        for (Future<java.util.Optional<Views.RecoveryEventView>> claim : claims) won += claim.get().isPresent() ? 1 : 0;
        assertEquals("exactly one manager runs the recovery of " + failed, 1, won);
      }
    } finally {
      pool.shutdownNow();
    }
    assertEquals(10, fixture.count("SELECT COUNT(*) FROM vmqsc_recovery_event WHERE state = 'RUNNING'"));
  }

  /**
   * A manager that has not seen the group yet looks it up before locking it. If the lookup's copy of the group row
   * were kept past the lock, a change committed in between would be invisible: this manager would write the group's
   * version back to one another manager already used, and that manager would then trust a cache missing this
   * manager's rows (and insert one of them again).
   */
  @Test public void aManagerLookingTheGroupUpWhileAnotherChangesItSeesTheRowAsLocked() throws Exception {
    Catalog a = fixture.catalog("manager-a");
    Catalog b = fixture.catalog("manager-b");
    GroupView view = Feeding.register(a, group);
    List<SimulatedGroup.Report> boundaries = group.all().stream()
        .filter(r -> r instanceof SimulatedGroup.Boundary staged && !staged.report().stable()).toList();
    assertEquals(Views.ReportOutcome.RECORDED, Feeding.feed(a, boundaries.get(0)).outcome());
    long before = fixture.count("SELECT state_version FROM vmqsc_protection_group");

    java.util.concurrent.CompletableFuture<Views.ReportResult> first;
    java.util.concurrent.CompletableFuture<Views.ReportResult> second;
    try (java.sql.Connection holder = fixture.holdGroupLock(view.uuid())) {
      first = java.util.concurrent.CompletableFuture.supplyAsync(() -> Feeding.feed(a, boundaries.get(1)));
      fixture.awaitLockWaits(1); // a queues first, with its cached state
      second = java.util.concurrent.CompletableFuture.supplyAsync(() -> Feeding.feed(b, boundaries.get(2)));
      fixture.awaitLockWaits(2); // b has looked the group up and queues behind a
      holder.commit();
    }
    assertEquals(Views.ReportOutcome.RECORDED, first.get().outcome());
    assertEquals(Views.ReportOutcome.RECORDED, second.get().outcome());
    assertEquals("each change bumps the group's version once", before + 2,
        fixture.count("SELECT state_version FROM vmqsc_protection_group"));
    assertEquals("a repeat of b's report, sent to a", Views.ReportOutcome.DUPLICATE,
        Feeding.feed(a, boundaries.get(2)).outcome());
  }

  /** Reports that arrived after the line had passed their index: the line never needs them. */
  private final java.util.Set<String> ignored = java.util.concurrent.ConcurrentHashMap.newKeySet();

  private static String key(SimulatedGroup.Report report) {
    BoundaryReport r = ((SimulatedGroup.Boundary) report).report();
    return r.vmUuid() + "/" + r.kind() + "/" + r.index();
  }

  /** Shuffles the reports, repeats some, and has {@code threadsPerCatalog} threads per catalog send them. */
  private void feedConcurrently(List<Catalog> catalogs, int threadsPerCatalog) throws Exception {
    List<SimulatedGroup.Report> reports = new ArrayList<>(group.all());
    reports.addAll(reports.subList(0, reports.size() / 4));
    Collections.shuffle(reports, new Random(5));
    int threads = catalogs.size() * threadsPerCatalog;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<Future<?>> done = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        Catalog catalog = catalogs.get(t % catalogs.size());
        int first = t;
        done.add(pool.submit(() -> {
          for (int i = first; i < reports.size(); i += threads) {
            SimulatedGroup.Report report = reports.get(i);
            if (Feeding.feed(catalog, report).outcome() == Views.ReportOutcome.IGNORED) ignored.add(key(report));
          }
        }));
      }
      for (Future<?> f : done) f.get();
    } finally {
      pool.shutdownNow();
    }
  }

  private void assertFinalState(Catalog catalog, GroupView view) {
    RecoveryLine expected = group.reference.advance().orElse(group.reference.line());
    LineView line = catalog.currentLine(view.uuid()).orElseThrow();
    assertEquals(expected.index(), line.index());
    long[] csns = new long[group.size()];
    for (int vm = 0; vm < group.size(); vm++) csns[vm] = line.checkpointIndexOf(group.vmUuid(vm));
    assertArrayEquals(expected.checkpointOf(), csns);

    long boundaries = group.all().stream().filter(r -> r instanceof SimulatedGroup.Boundary).count() / 2;
    long logged = group.all().stream().filter(r -> r instanceof SimulatedGroup.Logged).count();
    assertEquals("every report recorded once and stable, unless it came after the line passed it", boundaries,
        ignored.size() + fixture.count("SELECT (SELECT COUNT(*) FROM vmqsc_checkpoint WHERE state = 'STABLE')"
            + " + (SELECT COUNT(*) FROM vmqsc_log_segment WHERE state = 'STABLE')"));
    assertEquals(0, fixture.count("SELECT (SELECT COUNT(*) FROM vmqsc_checkpoint WHERE state <> 'STABLE')"
        + " + (SELECT COUNT(*) FROM vmqsc_log_segment WHERE state <> 'STABLE')"));
    assertEquals(logged, fixture.count("SELECT COUNT(*) FROM vmqsc_logged_message"));

    // The line only ever moved forward, and exactly one line is current.
    List<LineView> lines = catalog.listLines(view.uuid(), new PageRequest(0, 1000)).items();
    for (int i = 1; i < lines.size(); i++) {
      assertTrue("lines newest first, strictly increasing in time", lines.get(i - 1).index() > lines.get(i).index());
    }
    assertEquals(1, fixture.count("SELECT COUNT(*) FROM vmqsc_recovery_line WHERE removed IS NULL"));
    assertEquals(group.size() * (long) lines.size(), fixture.count("SELECT COUNT(*) FROM vmqsc_recovery_line_entry"));
  }
}
