package org.vmqsc.server.catalog;

import org.vmqsc.server.service.Views;
import org.vmqsc.server.service.BoundaryReport;
import org.vmqsc.server.service.ServiceException;
import org.vmqsc.server.service.HostReport;
import org.vmqsc.server.service.LoggedMessageReport;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.util.List;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;
import org.vmqsc.protocol.VmClass;
import org.junit.function.ThrowingRunnable;
import org.vmqsc.protocol.BoundaryKind;
import org.vmqsc.server.service.ServiceException.Reason;
import org.vmqsc.server.service.Views.GroupView;
import org.vmqsc.server.service.PageRequest;
import org.vmqsc.server.service.RecoveryPolicy;

/** Bad requests get a clear error and change nothing. */
public class BadInputTest {

  private CatalogFixture fixture;
  private Catalog catalog;
  private GroupView group;

  @Before public void setUp() {
    fixture = CatalogFixture.fresh("bad");
    catalog = fixture.catalog("manager-a");
    group = catalog.createGroup("web", 1000, RecoveryPolicy.AUTOMATIC, null);
    catalog.addVm(group.uuid(), "vm-a", "SI", "host-1");
    catalog.addVm(group.uuid(), "vm-b", "mi_3", "host-2");
  }

  @After public void tearDown() {
    fixture.close();
  }

  @Test public void basePeriodMustBePositive() {
    refused(Reason.INVALID, "T0 must be > 0", () -> catalog.createGroup("x", 0, RecoveryPolicy.AUTOMATIC, null));
    refused(Reason.INVALID, "T0 must be > 0", () -> catalog.createGroup("x", -5, RecoveryPolicy.AUTOMATIC, null));
    refused(Reason.INVALID, "T0 must be > 0", () -> catalog.updateGroup(group.uuid(), null, 0L, null));
    assertEquals(1, catalog.listGroups(PageRequest.first(10)).total());
    assertEquals(1000, catalog.listGroups(PageRequest.first(10)).items().get(0).basePeriodMs());
  }

  @Test public void classesMustBeSiOrMiWithKAtLeastTwo() {
    refused(Reason.INVALID, "MI_1 is not a class", () -> catalog.addVm(group.uuid(), "vm-c", "MI_1", null));
    refused(Reason.INVALID, "MI_0 is not a class", () -> catalog.addVm(group.uuid(), "vm-c", "MI_0", null));
    refused(Reason.INVALID, "unknown VM class 'XL'", () -> catalog.addVm(group.uuid(), "vm-c", "XL", null));
    refused(Reason.INVALID, "unknown VM class", () -> catalog.addVm(group.uuid(), "vm-c", null, null));
    assertEquals(List.of("SI", "MI_3"), catalog.members(group.uuid()).stream().map(Views.MemberView::vmClass).toList());
  }

  @Test public void aPhasedClassIsStoredAsTextAndReadBackWithItsPhase() {
    catalog.addVm(group.uuid(), "vm-c", "mi_4@2", "host-1");
    catalog.changeVmClass(group.uuid(), "vm-a", "MI_16@15");
    assertEquals(2, fixture.count("SELECT COUNT(*) FROM vmqsc_group_member WHERE vm_class IN ('MI_4@2', 'MI_16@15')"));
    Catalog other = fixture.catalog("manager-b"); // its own cache: reads the rows
    assertEquals(List.of("MI_16@15", "MI_3", "MI_4@2"),
        other.members(group.uuid()).stream().map(Views.MemberView::vmClass).toList());
    assertEquals(List.of(VmClass.mi(16, 15), VmClass.mi(3), VmClass.mi(4, 2)), other.config(group.uuid()).classes());
    for (String bad : List.of("MI_4@4", "MI_4@-1", "MI_1@0", "SI@1", "MI_4@x", "MI_99999999@9999999")) {
      refused(Reason.INVALID, "vmclass: ", () -> catalog.addVm(group.uuid(), "vm-d", bad, null));
    }
    assertEquals(3, catalog.members(group.uuid()).size());
  }

  @Test public void aVmBelongsToOneGroup() {
    GroupView other = catalog.createGroup("db", 2000, RecoveryPolicy.MANUAL, null);
    refused(Reason.DUPLICATE_VM, "VM vm-a is already in group " + group.uuid(),
        () -> catalog.addVm(other.uuid(), "vm-a", "SI", null));
    refused(Reason.DUPLICATE_VM, "already in group", () -> catalog.addVm(group.uuid(), "vm-a", "SI", null));
    assertEquals(0, catalog.members(other.uuid()).size());
  }

  @Test public void unknownIdsAreRefused() {
    refused(Reason.UNKNOWN_GROUP, "no protection group nope", () -> catalog.addVm("nope", "vm-z", "SI", null));
    refused(Reason.UNKNOWN_GROUP, "no protection group nope", () -> catalog.collect("nope"));
    refused(Reason.UNKNOWN_GROUP, "no protection group nope", () -> catalog.deleteGroup("nope"));
    refused(Reason.UNKNOWN_VM, "no VM vm-z in group " + group.uuid(),
        () -> Feeding.one(catalog, group.uuid(), report("vm-z", 0, "d")));
    refused(Reason.UNKNOWN_GROUP, "no protection group nope", () -> Feeding.one(catalog, "nope", report("vm-a", 0, "d")));
    refused(Reason.UNKNOWN_VM, "no VM vm-z in any group", () -> catalog.moveVm("vm-z", "host-9"));
    refused(Reason.UNKNOWN_VM, "no VM vm-z in group", () -> catalog.removeVm(group.uuid(), "vm-z"));
    refused(Reason.UNKNOWN_RECOVERY, "no recovery event", () -> catalog.finishRecovery("nope", true, 0, "x"));
    catalog.deleteGroup(group.uuid());
    refused(Reason.UNKNOWN_GROUP, "no protection group " + group.uuid(),
        () -> Feeding.one(catalog, group.uuid(), report("vm-a", 0, "d")));
    assertEquals(0, fixture.count("SELECT COUNT(*) FROM vmqsc_checkpoint"));
  }

  @Test public void reportsMustBeWellFormedAndConsistent() {
    refused(Reason.INVALID, "index (CSN) must be >= 0", () -> report("vm-a", -1, "d"));
    refused(Reason.INVALID, "one counter per VM", () -> new BoundaryReport("vm-a", BoundaryKind.CHECKPOINT, 0, 0,
        false, false, 1, "l", "d", 0, 0, new long[2], new long[3]));
    refused(Reason.INVALID, "carries 3 channel counters but the group has 2 VMs",
        () -> Feeding.one(catalog, group.uuid(), new BoundaryReport("vm-a", BoundaryKind.CHECKPOINT, 0, 0, false, false, 1, "l",
            "d", 0, 0, new long[3], new long[3])));

    Feeding.one(catalog, group.uuid(), report("vm-a", 0, "digest-1"));
    refused(Reason.CONFLICTING_REPORT, "contradicts the report recorded before",
        () -> Feeding.one(catalog, group.uuid(), report("vm-a", 0, "digest-2")));
    refused(Reason.CONFLICTING_REPORT, "no recovery gave VM vm-a more than 0",
        () -> Feeding.one(catalog, group.uuid(), new BoundaryReport("vm-a", BoundaryKind.CHECKPOINT, 1, 3, false, false, 1, "l",
            "d", 0, 0, new long[2], new long[2])));
    assertEquals(1, fixture.count("SELECT COUNT(*) FROM vmqsc_checkpoint"));
    assertEquals(1, fixture.count("SELECT COUNT(*) FROM vmqsc_checkpoint WHERE content_digest = 'digest-1'"));
  }

  @Test public void countersThatOnlyHashAlikeAreAContradictionNotARepeat() {
    // Arrays.hashCode({0, 31}) == Arrays.hashCode({1, 0}): only comparing the counters tells the two apart.
    assertEquals(java.util.Arrays.hashCode(new long[] {0, 31}), java.util.Arrays.hashCode(new long[] {1, 0}));
    Feeding.one(catalog, group.uuid(), withSent(new long[] {0, 31}));
    refused(Reason.CONFLICTING_REPORT, "contradicts the report recorded before",
        () -> Feeding.one(catalog, group.uuid(), withSent(new long[] {1, 0})));
    assertEquals(1, fixture.count("SELECT COUNT(*) FROM vmqsc_checkpoint WHERE sent_counts = '0,31'"));
  }

  @Test public void aBatchWithOneBadReportRecordsNothingOfTheBatch() {
    BoundaryReport good = report("vm-a", 0, "digest-a");
    BoundaryReport goodToo = new BoundaryReport("vm-b", BoundaryKind.CHECKPOINT, 0, 0, false, true, 10, "host://b",
        "digest-b", 0, 0, new long[2], new long[2]);
    LoggedMessageReport message = new LoggedMessageReport("vm-a", "vm-b", 1, 0, 0, 10, 7, 1, 1, 1, 0, "stable://m");
    for (BoundaryReport bad : List.of(report("vm-z", 0, "d"),
        new BoundaryReport("vm-a", BoundaryKind.CHECKPOINT, 1, 0, false, false, 1, "l", "d", 0, 0, new long[3],
            new long[3]))) {
      ServiceException e = assertThrows(ServiceException.class, () -> catalog.report(
          new HostReport("host-1", group.uuid(), List.of(good, goodToo, bad), List.of(message))));
      assertTrue(e.getMessage(), e.reason() == Reason.UNKNOWN_VM || e.reason() == Reason.INVALID);
    }
    // A bad logged message refuses the boundary reports with it, too.
    LoggedMessageReport stranger = new LoggedMessageReport("vm-z", "vm-b", 1, 0, 0, 10, 7, 1, 1, 1, 0, "s://m");
    refused(Reason.UNKNOWN_VM, "no VM vm-z in group", () -> catalog.report(
        new HostReport("host-1", group.uuid(), List.of(good, goodToo), List.of(message, stranger))));
    assertEquals(0, fixture.count("SELECT COUNT(*) FROM vmqsc_checkpoint"));
    assertEquals(0, fixture.count("SELECT COUNT(*) FROM vmqsc_logged_message"));
    assertEquals("two VMs added, nothing since", 2, fixture.count("SELECT state_version FROM vmqsc_protection_group"));

    // The same batch without the bad report is recorded whole, and moves the line once.
    Views.ReportResult result = catalog.report(
        new HostReport("host-1", group.uuid(), List.of(good, goodToo, good.asStable("stable://a")), List.of(message)));
    assertEquals(Views.ReportOutcome.RECORDED, result.outcome());
    assertEquals(0, result.lineMoved().index());
    assertEquals(2, fixture.count("SELECT COUNT(*) FROM vmqsc_checkpoint WHERE state = 'STABLE'"));
    assertEquals(1, fixture.count("SELECT COUNT(*) FROM vmqsc_logged_message"));
    assertEquals("one batch, one change", 3, fixture.count("SELECT state_version FROM vmqsc_protection_group"));
    assertEquals(Views.ReportOutcome.DUPLICATE, catalog.report(
        new HostReport("host-1", group.uuid(), List.of(good, goodToo), List.of(message))).outcome());
  }

  @Test public void membershipIsFixedOnceTheGroupHasCheckpoints() {
    Feeding.one(catalog, group.uuid(), report("vm-a", 0, "d"));
    refused(Reason.WRONG_STATE, "protection has started", () -> catalog.addVm(group.uuid(), "vm-c", "SI", null));
    refused(Reason.WRONG_STATE, "protection has started", () -> catalog.removeVm(group.uuid(), "vm-b"));
    refused(Reason.WRONG_STATE, "cannot change the base period T0 of group",
        () -> catalog.updateGroup(group.uuid(), null, 2000L, null));
    assertEquals(1000, catalog.group(group.uuid()).basePeriodMs());
    assertEquals(2, catalog.members(group.uuid()).size());
  }

  @Test public void pagesMustBeSensible() {
    assertThrows(IllegalArgumentException.class, () -> new PageRequest(-1, 10));
    assertThrows(IllegalArgumentException.class, () -> new PageRequest(0, 0));
    assertThrows(IllegalArgumentException.class, () -> new PageRequest(0, PageRequest.MAX_LIMIT + 1));
    assertEquals(1, catalog.listMembers(group.uuid(), new PageRequest(1, 1)).items().size());
    assertEquals(1, catalog.listMembers(group.uuid(), new PageRequest(1, 1)).items().get(0).number());
  }

  private static BoundaryReport withSent(long[] sentTo) {
    return new BoundaryReport("vm-a", BoundaryKind.CHECKPOINT, 0, 0, false, false, 10, "host://vm-a", "d", 0, 0,
        sentTo, new long[2]);
  }

  private static BoundaryReport report(String vm, long index, String digest) {
    return new BoundaryReport(vm, BoundaryKind.CHECKPOINT, index, 0, false, false, 10, "host://" + vm, digest, 0, 0,
        new long[2], new long[2]);
  }

  private static void refused(Reason reason, String messagePart, ThrowingRunnable call) {
    ServiceException e = assertThrows(ServiceException.class, call);
    assertEquals(e.getMessage(), reason, e.reason());
    assertTrue("'" + e.getMessage() + "' should say '" + messagePart + "'", e.getMessage().contains(messagePart));
  }
}
