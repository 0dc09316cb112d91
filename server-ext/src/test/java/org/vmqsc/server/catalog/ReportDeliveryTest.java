package org.vmqsc.server.catalog;

import org.vmqsc.server.service.Views;
import org.vmqsc.server.service.BoundaryReport;
import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;
import org.vmqsc.protocol.BoundaryKind;
import org.vmqsc.protocol.VmClass;
import org.vmqsc.protocol.manager.RecoveryLine;
import org.vmqsc.server.service.Views.GroupView;
import org.vmqsc.server.service.Views.LineView;
import org.vmqsc.server.service.Views.ReportOutcome;

/** Reports delivered twice, late or out of order change nothing they should not. */
public class ReportDeliveryTest {

  private CatalogFixture fixture;
  private Catalog catalog;

  @Before public void setUp() {
    fixture = CatalogFixture.fresh("delivery");
    catalog = fixture.catalog("manager-a");
  }

  @After public void tearDown() {
    fixture.close();
  }

  @Test public void aRepeatedReportChangesNothing() {
    SimulatedGroup group = group("dup", 1);
    Feeding.register(catalog, group);
    BoundaryReport staged = ((SimulatedGroup.Boundary) group.all().get(0)).report();

    assertEquals(ReportOutcome.RECORDED, Feeding.one(catalog, group.groupUuid, staged).outcome());
    assertEquals(ReportOutcome.DUPLICATE, Feeding.one(catalog, group.groupUuid, staged).outcome());
    assertEquals(ReportOutcome.MADE_STABLE, Feeding.one(catalog, group.groupUuid, staged.asStable("stable://x")).outcome());
    assertEquals(ReportOutcome.DUPLICATE, Feeding.one(catalog, group.groupUuid, staged.asStable("stable://x")).outcome());
    assertEquals("a staged report after the stable one", ReportOutcome.DUPLICATE,
        Feeding.one(catalog, group.groupUuid, staged).outcome());

    assertEquals(1, fixture.count("SELECT COUNT(*) FROM vmqsc_checkpoint"));
    assertEquals(1, fixture.count("SELECT COUNT(*) FROM vmqsc_checkpoint WHERE state = 'STABLE'"
        + " AND location = 'stable://x'"));
  }

  @Test public void aStableReportBeforeItsStagedOneRecordsItStable() {
    SimulatedGroup group = group("early", 2);
    Feeding.register(catalog, group);
    BoundaryReport staged = ((SimulatedGroup.Boundary) group.all().get(0)).report();

    assertEquals(ReportOutcome.RECORDED, Feeding.one(catalog, group.groupUuid, staged.asStable("stable://s")).outcome());
    assertEquals(ReportOutcome.DUPLICATE, Feeding.one(catalog, group.groupUuid, staged).outcome());
    assertEquals(1, fixture.count("SELECT COUNT(*) FROM vmqsc_checkpoint WHERE state = 'STABLE'"));
  }

  @Test public void anyDeliveryOrderEndsAtTheSameLineWithTheSameRows() {
    SimulatedGroup inOrder = group("ordered", 3);
    SimulatedGroup shuffled = group("shuffled", 3);
    GroupView ordered = Feeding.register(catalog, inOrder);
    GroupView mixed = Feeding.register(catalog, shuffled);
    for (int i = 0; i < 8; i++) {
      inOrder.runInterval(10);
      shuffled.runInterval(10);
    }
    inOrder.drain();
    shuffled.drain();

    Feeding.feedAll(catalog, inOrder.all());
    List<SimulatedGroup.Report> reports = new ArrayList<>(shuffled.all());
    Collections.shuffle(reports, new Random(11));
    reports.addAll(reports.subList(0, reports.size() / 3)); // and a third of them twice
    // A checkpoint or segment whose every report comes after the line has passed it is never needed: ignored.
    java.util.Set<String> ignoredCheckpoints = new java.util.HashSet<>();
    java.util.Set<String> ignoredSegments = new java.util.HashSet<>();
    for (SimulatedGroup.Report r : reports) {
      if (Feeding.feed(catalog, r).outcome() == ReportOutcome.IGNORED) {
        BoundaryReport b = ((SimulatedGroup.Boundary) r).report();
        (b.kind() == BoundaryKind.CHECKPOINT ? ignoredCheckpoints : ignoredSegments).add(b.vmUuid() + "/" + b.index());
      }
    }

    RecoveryLine expected = inOrder.reference.advance().orElse(inOrder.reference.line());
    assertLine(expected, inOrder, catalog.currentLine(ordered.uuid()).orElseThrow());
    assertLine(expected, shuffled, catalog.currentLine(mixed.uuid()).orElseThrow());
    List<Long> mixedRows = rows(mixed);
    assertEquals(rows(ordered), List.of(mixedRows.get(0) + ignoredCheckpoints.size(),
        mixedRows.get(1) + ignoredSegments.size(), mixedRows.get(2)));
  }

  @Test public void aReportBehindTheLineIsIgnored() {
    SimulatedGroup group = group("late", 4);
    GroupView view = Feeding.register(catalog, group);
    Feeding.feedAll(catalog, group.all());
    List<SimulatedGroup.Report> first = group.runInterval(0);
    Feeding.feedAll(catalog, first);
    for (int i = 0; i < 4; i++) Feeding.feedAll(catalog, group.runInterval(0));
    long line = catalog.currentLine(view.uuid()).orElseThrow().index();
    long rows = fixture.count("SELECT COUNT(*) FROM vmqsc_checkpoint");

    // A checkpoint at index 1 nobody reported before, arriving after the line passed index 1.
    BoundaryReport late = new BoundaryReport(group.vmUuid(1), BoundaryKind.CHECKPOINT, 1, 0, true, true, 5,
        "stable://late", "sha256:late", 0, 0, new long[group.size()], new long[group.size()]);
    assertEquals(ReportOutcome.IGNORED, Feeding.one(catalog, group.groupUuid, late).outcome());
    // A repeat of an interval-1 report: a duplicate before collection, ignored after it.
    assertEquals(ReportOutcome.DUPLICATE, Feeding.feed(catalog, first.get(1)).outcome());
    catalog.collect(view.uuid());
    assertEquals(ReportOutcome.IGNORED, Feeding.feed(catalog, first.get(1)).outcome());

    assertEquals(rows, fixture.count("SELECT COUNT(*) FROM vmqsc_checkpoint"));
    assertEquals(line, catalog.currentLine(view.uuid()).orElseThrow().index());
    assertEquals("no traffic: the line follows every boundary", 5, line);
  }

  private SimulatedGroup group(String name, long seed) {
    return new SimulatedGroup(name, List.of(VmClass.SI, VmClass.mi(2), VmClass.SI, VmClass.mi(3)), 2, seed);
  }

  private void assertLine(RecoveryLine expected, SimulatedGroup group, LineView line) {
    assertEquals(expected.index(), line.index());
    long[] csns = new long[group.size()];
    for (int vm = 0; vm < group.size(); vm++) csns[vm] = line.checkpointIndexOf(group.vmUuid(vm));
    assertArrayEquals(expected.checkpointOf(), csns);
  }

  private List<Long> rows(GroupView group) {
    String id = "(SELECT id FROM vmqsc_protection_group WHERE uuid = '" + group.uuid() + "')";
    return List.of(
        fixture.count("SELECT COUNT(*) FROM vmqsc_checkpoint WHERE state = 'STABLE' AND group_id = " + id),
        fixture.count("SELECT COUNT(*) FROM vmqsc_log_segment WHERE state = 'STABLE' AND group_id = " + id),
        fixture.count("SELECT COUNT(*) FROM vmqsc_logged_message WHERE group_id = " + id));
  }
}
