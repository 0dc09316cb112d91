package org.vmqsc.server.service;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.junit.Before;
import org.junit.Test;
import org.junit.function.ThrowingRunnable;
import org.vmqsc.protocol.BoundaryKind;
import org.vmqsc.protocol.CarriedReceipt;
import org.vmqsc.protocol.EarlyIndexPolicy;
import org.vmqsc.protocol.GroupConfig;
import org.vmqsc.protocol.LogEntry;
import org.vmqsc.protocol.Message;
import org.vmqsc.protocol.VmClass;
import org.vmqsc.protocol.host.SenderCopy;
import org.vmqsc.protocol.recovery.Survivors;
import org.vmqsc.server.service.ServiceException.Reason;
import org.vmqsc.server.service.Views.CheckpointView;
import org.vmqsc.server.service.Views.CollectionResult;
import org.vmqsc.server.service.Views.GroupView;
import org.vmqsc.server.service.Views.HostFailurePlan;
import org.vmqsc.server.service.Views.LineView;
import org.vmqsc.server.service.Views.LogSegmentView;
import org.vmqsc.server.service.Views.MemberView;
import org.vmqsc.server.service.Views.RecoveryEventView;
import org.vmqsc.server.service.Views.ReportOutcome;
import org.vmqsc.server.service.Views.ReportResult;
import org.vmqsc.server.service.Views.VmFailurePlan;

/**
 * What every {@link ProtectionService} must do, as its javadoc says: one suite, run against each implementation
 * by a subclass that says how to make a fresh, empty service.
 *
 * <p>Only what the interface promises is asserted: no uuid values, no times, no order the interface leaves open.
 * Recovery events are looked up by group, so a service that also sees other groups' events still passes.
 */
public abstract class ProtectionServiceContract {

  /** A fresh service with no group. */
  protected abstract ProtectionService newService();

  protected ProtectionService service;

  @Before public void freshService() {
    service = newService();
  }

  // ---- fixtures -----------------------------------------------------------------------------------------------

  /** A group of VMs a, b (SI) and c (MI_2), on hosts h1, h2, h3. */
  private GroupView threeVms() {
    GroupView g = service.createGroup("web", 1000, RecoveryPolicy.AUTOMATIC, EarlyIndexPolicy.ADVANCE_AND_LOG);
    service.addVm(g.uuid(), "a", "SI", "h1");
    service.addVm(g.uuid(), "b", "SI", "h2");
    service.addVm(g.uuid(), "c", "MI_2", "h3");
    return g;
  }

  /** A group of SI VMs a, b, c on hosts h1, h2, h3. */
  private GroupView threeSi() {
    GroupView g = service.createGroup("si", 1000, RecoveryPolicy.AUTOMATIC, null);
    service.addVm(g.uuid(), "a", "SI", "h1");
    service.addVm(g.uuid(), "b", "SI", "h2");
    service.addVm(g.uuid(), "c", "SI", "h3");
    return g;
  }

  private static BoundaryReport boundary(String vm, BoundaryKind kind, long index, int incarnation, boolean stable,
      long[] sentTo, long[] receivedFrom) {
    return new BoundaryReport(vm, kind, index, incarnation, false, stable, 100 + index,
        (stable ? "stable://" : "host://") + vm + "/" + index, "digest-" + vm + "-" + index + "-" + incarnation,
        10 * index, sum(receivedFrom), sentTo, receivedFrom);
  }

  private static BoundaryReport checkpoint(String vm, long index, boolean stable) {
    return boundary(vm, BoundaryKind.CHECKPOINT, index, 0, stable, new long[3], new long[3]);
  }

  private static BoundaryReport checkpoint(String vm, long index, boolean stable, long[] sentTo, long[] receivedFrom) {
    return boundary(vm, BoundaryKind.CHECKPOINT, index, 0, stable, sentTo, receivedFrom);
  }

  private static BoundaryReport segment(String vm, long index, boolean stable) {
    return boundary(vm, BoundaryKind.LOG_SEGMENT, index, 0, stable, new long[3], new long[3]);
  }

  private static long sum(long[] counters) {
    long s = 0;
    for (long c : counters) s += c;
    return s;
  }

  private ReportResult send(GroupView g, BoundaryReport... reports) {
    return service.report(new HostReport("h", g.uuid(), List.of(reports), List.of()));
  }

  private ReportResult sendLogged(GroupView g, LoggedMessageReport... messages) {
    return service.report(new HostReport("h", g.uuid(), List.of(), List.of(messages)));
  }

  /** Staged, then stable: the way hosts report. */
  private void both(GroupView g, BoundaryReport... reports) {
    for (BoundaryReport r : reports) {
      send(g, r);
      send(g, r.asStable("stable://" + r.vmUuid() + "/" + r.index()));
    }
  }

  private static LoggedMessageReport logged(String from, String to, long seq, long csn) {
    return new LoggedMessageReport(from, to, seq, csn, 0, 64, seq * 31, 1, 5, csn + 1, 0,
        "stable://log/" + from + "-" + to + "-" + seq);
  }

  private Long lineIndex(GroupView g) {
    return service.group(g.uuid()).lineIndex();
  }

  private List<CheckpointView> checkpoints(GroupView g, boolean includeRemoved) {
    return service.listCheckpoints(g.uuid(), includeRemoved, PageRequest.first(PageRequest.MAX_LIMIT)).items();
  }

  private List<LogSegmentView> segments(GroupView g, boolean includeRemoved) {
    return service.listLogSegments(g.uuid(), includeRemoved, PageRequest.first(PageRequest.MAX_LIMIT)).items();
  }

  private CheckpointView checkpointOf(GroupView g, String vm, long csn) {
    return checkpoints(g, true).stream().filter(c -> c.vmUuid().equals(vm) && c.index() == csn).findFirst()
        .orElseThrow(() -> new AssertionError("no checkpoint of " + vm + " at " + csn));
  }

  /** Equal but for the creation time, which a database may store with less precision than the clock gives. */
  private static void assertSameGroup(GroupView expected, GroupView actual) {
    assertEquals(expected.uuid(), actual.uuid());
    assertEquals(expected.name(), actual.name());
    assertEquals(expected.basePeriodMs(), actual.basePeriodMs());
    assertEquals(expected.recoveryPolicy(), actual.recoveryPolicy());
    assertEquals(expected.lineIndex(), actual.lineIndex());
  }

  private static void refused(Reason reason, ThrowingRunnable call) {
    ServiceException e = assertThrows(ServiceException.class, call);
    assertEquals(e.getMessage(), reason, e.reason());
    assertNotNull(e.getMessage());
  }

  /** The surviving hosts' snapshot, as the recovery coordinator collects it. */
  protected record Snapshot(Set<Integer> vms, Map<Integer, long[]> counters, Map<Integer, List<LogEntry>> logs,
                            Map<Integer, List<SenderCopy>> copies) implements Survivors {
    @Override public long[] receivedFrom(int vm) {
      return counters.get(vm).clone();
    }

    @Override public List<LogEntry> receiveLog(int vm) {
      return logs.getOrDefault(vm, List.of());
    }

    @Override public List<SenderCopy> copiesTo(int vm) {
      return copies.getOrDefault(vm, List.of());
    }
  }

  // ---- groups -------------------------------------------------------------------------------------------------

  @Test public void createsReadsUpdatesAndDeletesGroups() {
    GroupView g = service.createGroup("  web ", 1000, RecoveryPolicy.MANUAL, EarlyIndexPolicy.FORCE_CHECKPOINT);
    assertEquals("web", g.name());
    assertEquals(1000, g.basePeriodMs());
    assertEquals(RecoveryPolicy.MANUAL, g.recoveryPolicy());
    assertNull(g.lineIndex());
    assertNotNull(g.uuid());
    assertSameGroup(g, service.group(g.uuid()));

    GroupView renamed = service.updateGroup(g.uuid(), "shop", null, null);
    assertEquals("shop", renamed.name());
    assertEquals(RecoveryPolicy.MANUAL, renamed.recoveryPolicy());
    GroupView updated = service.updateGroup(g.uuid(), null, 2000L, RecoveryPolicy.AUTOMATIC);
    assertEquals("shop", updated.name());
    assertEquals(2000, updated.basePeriodMs());
    assertEquals(RecoveryPolicy.AUTOMATIC, updated.recoveryPolicy());
    assertSameGroup(updated, service.group(g.uuid()));

    service.deleteGroup(g.uuid());
    refused(Reason.UNKNOWN_GROUP, () -> service.group(g.uuid()));
    refused(Reason.UNKNOWN_GROUP, () -> service.deleteGroup(g.uuid()));
    refused(Reason.UNKNOWN_GROUP, () -> service.members(g.uuid()));
    assertEquals(0, service.listGroups(PageRequest.first(10)).total());
  }

  @Test public void aGroupStartsOnceWithItsVmsAndThenKeepsThem() {
    GroupView g = service.createGroup("web", 1000, null, null);
    assertNull(g.startedMs());
    refused(Reason.WRONG_STATE, () -> service.startGroup(g.uuid(), 1_800_000_000_000L));
    service.addVm(g.uuid(), "a", "SI", "h1");
    service.addVm(g.uuid(), "b", "MI_2", "h2");
    refused(Reason.INVALID, () -> service.startGroup(g.uuid(), 5));
    assertNull(service.group(g.uuid()).startedMs());

    assertEquals(Long.valueOf(1_800_000_000_000L), service.startGroup(g.uuid(), 1_800_000_000_000L).startedMs());
    // Once only: a second start (another manager, a repeated job) keeps the first.
    assertEquals(Long.valueOf(1_800_000_000_000L), service.startGroup(g.uuid(), 1_900_000_000_000L).startedMs());
    assertEquals(Long.valueOf(1_800_000_000_000L), service.group(g.uuid()).startedMs());
    refused(Reason.WRONG_STATE, () -> service.addVm(g.uuid(), "c", "SI", "h1"));
    refused(Reason.WRONG_STATE, () -> service.removeVm(g.uuid(), "a"));
    refused(Reason.WRONG_STATE, () -> service.updateGroup(g.uuid(), null, 2000L, null));
    assertEquals(2, service.members(g.uuid()).size());
    refused(Reason.UNKNOWN_GROUP, () -> service.startGroup("no-such-group", 1_800_000_000_000L));
  }

  @Test public void aNullPolicyMeansAutomatic() {
    assertEquals(RecoveryPolicy.AUTOMATIC, service.createGroup("g", 5, null, null).recoveryPolicy());
  }

  @Test public void listsGroupsPageByPageInCreationOrder() {
    for (int i = 0; i < 5; i++) service.createGroup("g" + i, 1000, RecoveryPolicy.AUTOMATIC, null);
    Page<GroupView> first = service.listGroups(new PageRequest(0, 2));
    Page<GroupView> second = service.listGroups(new PageRequest(2, 2));
    Page<GroupView> last = service.listGroups(new PageRequest(4, 2));
    assertEquals(5, first.total());
    assertEquals(List.of("g0", "g1"), first.items().stream().map(GroupView::name).toList());
    assertEquals(List.of("g2", "g3"), second.items().stream().map(GroupView::name).toList());
    assertEquals(List.of("g4"), last.items().stream().map(GroupView::name).toList());
    assertTrue(first.hasMore());
    assertFalse(last.hasMore());
    assertEquals(0, service.listGroups(new PageRequest(10, 2)).items().size());
  }

  @Test public void deletingAGroupFreesItsVms() {
    GroupView g = threeVms();
    service.deleteGroup(g.uuid());
    refused(Reason.UNKNOWN_VM, () -> service.moveVm("a", "h9"));
    GroupView other = service.createGroup("other", 1000, null, null);
    assertEquals(0, service.addVm(other.uuid(), "a", "SI", "h1").number());
  }

  @Test public void configIsTheProtocolsView() {
    GroupView g = service.createGroup("g", 1500, RecoveryPolicy.AUTOMATIC, EarlyIndexPolicy.FORCE_CHECKPOINT);
    service.addVm(g.uuid(), "a", "mi_3", "h1");
    service.addVm(g.uuid(), "b", "SI", "h1");
    GroupConfig config = service.config(g.uuid());
    assertEquals(1500, config.basePeriod());
    assertEquals(List.of(VmClass.mi(3), VmClass.SI), config.classes());
    assertEquals(EarlyIndexPolicy.FORCE_CHECKPOINT, config.earlyIndexPolicy());
    GroupView d = service.createGroup("d", 1500, RecoveryPolicy.AUTOMATIC, null);
    service.addVm(d.uuid(), "x", "SI", "h1");
    assertEquals(EarlyIndexPolicy.ADVANCE_AND_LOG, service.config(d.uuid()).earlyIndexPolicy());
    refused(Reason.UNKNOWN_GROUP, () -> service.config("nope"));
  }

  @Test public void badGroupParametersAreRefusedAndChangeNothing() {
    GroupView g = service.createGroup("web", 1000, RecoveryPolicy.AUTOMATIC, null);
    refused(Reason.INVALID, () -> service.createGroup("x", 0, RecoveryPolicy.AUTOMATIC, null));
    refused(Reason.INVALID, () -> service.createGroup("x", -5, RecoveryPolicy.AUTOMATIC, null));
    refused(Reason.INVALID, () -> service.createGroup(" ", 1000, RecoveryPolicy.AUTOMATIC, null));
    refused(Reason.INVALID, () -> service.createGroup(null, 1000, RecoveryPolicy.AUTOMATIC, null));
    refused(Reason.INVALID, () -> service.createGroup("x".repeat(256), 1000, RecoveryPolicy.AUTOMATIC, null));
    refused(Reason.INVALID, () -> service.updateGroup(g.uuid(), "renamed", 0L, RecoveryPolicy.MANUAL));
    refused(Reason.INVALID, () -> service.updateGroup(g.uuid(), "", null, null));
    refused(Reason.UNKNOWN_GROUP, () -> service.updateGroup("nope", "x", null, null));
    assertEquals(1, service.listGroups(PageRequest.first(10)).total());
    assertSameGroup(g, service.group(g.uuid()));
  }

  @Test public void basePeriodIsFixedOnceTheGroupHasCheckpoints() {
    GroupView g = threeVms();
    send(g, checkpoint("a", 0, false));
    refused(Reason.WRONG_STATE, () -> service.updateGroup(g.uuid(), null, 500L, null));
    assertEquals(1000, service.group(g.uuid()).basePeriodMs());
    assertEquals("renamed", service.updateGroup(g.uuid(), "renamed", null, RecoveryPolicy.MANUAL).name());
  }

  // ---- members ------------------------------------------------------------------------------------------------

  @Test public void membersAreNumberedInOrderOfAddition() {
    GroupView g = threeVms();
    MemberView d = service.addVm(g.uuid(), "d", "MI_4", null);
    assertEquals(3, d.number());
    assertEquals("MI_4", d.vmClass());
    assertEquals(0, d.incarnation());
    List<MemberView> members = service.members(g.uuid());
    assertEquals(List.of("a", "b", "c", "d"), members.stream().map(MemberView::vmUuid).toList());
    assertEquals(List.of(0, 1, 2, 3), members.stream().map(MemberView::number).toList());
    assertEquals(List.of("SI", "SI", "MI_2", "MI_4"), members.stream().map(MemberView::vmClass).toList());
    assertEquals("h2", members.get(1).hostUuid());

    Page<MemberView> page = service.listMembers(g.uuid(), new PageRequest(1, 2));
    assertEquals(4, page.total());
    assertEquals(List.of("b", "c"), page.items().stream().map(MemberView::vmUuid).toList());
    assertEquals(List.of(1, 2), page.items().stream().map(MemberView::number).toList());

    service.removeVm(g.uuid(), "b");
    assertEquals(List.of("a", "c", "d"), service.members(g.uuid()).stream().map(MemberView::vmUuid).toList());
    assertEquals(List.of(0, 1, 2), service.members(g.uuid()).stream().map(MemberView::number).toList());
  }

  @Test public void classesAreCanonical() {
    GroupView g = service.createGroup("g", 1000, null, null);
    assertEquals("MI_3", service.addVm(g.uuid(), "a", "mi_3", null).vmClass());
    assertEquals("SI", service.addVm(g.uuid(), "b", "si", null).vmClass());
    assertEquals("MI_4@2", service.addVm(g.uuid(), "c", "mi_4@2", null).vmClass());
    assertEquals("MI_2", service.addVm(g.uuid(), "d", "MI_2@0", null).vmClass());
    assertEquals(List.of("MI_3", "SI", "MI_4@2", "MI_2"),
        service.members(g.uuid()).stream().map(MemberView::vmClass).toList());
    assertEquals(List.of(VmClass.mi(3), VmClass.SI, VmClass.mi(4, 2), VmClass.mi(2)),
        service.config(g.uuid()).classes());
    assertEquals("MI_5@4", service.changeVmClass(g.uuid(), "b", "MI_5@4").vmClass());
    assertEquals(VmClass.mi(5, 4), service.config(g.uuid()).classes().get(1));
  }

  @Test public void badMembersAreRefusedAndChangeNothing() {
    GroupView g = threeVms();
    GroupView other = service.createGroup("db", 2000, RecoveryPolicy.MANUAL, null);
    refused(Reason.INVALID, () -> service.addVm(g.uuid(), "d", "MI_1", null));
    refused(Reason.INVALID, () -> service.addVm(g.uuid(), "d", "MI_0", null));
    refused(Reason.INVALID, () -> service.addVm(g.uuid(), "d", "XL", null));
    for (String bad : List.of("MI_4@4", "MI_4@-1", "MI_1@0", "SI@1", "MI_4@x", "MI_99999999@9999999")) {
      refused(Reason.INVALID, () -> service.addVm(g.uuid(), "d", bad, null));
      refused(Reason.INVALID, () -> service.changeVmClass(g.uuid(), "c", bad));
    }
    refused(Reason.INVALID, () -> service.addVm(g.uuid(), "d", null, null));
    refused(Reason.INVALID, () -> service.addVm(g.uuid(), "", "SI", null));
    refused(Reason.INVALID, () -> service.addVm(g.uuid(), null, "SI", null));
    refused(Reason.DUPLICATE_VM, () -> service.addVm(other.uuid(), "a", "SI", null));
    refused(Reason.DUPLICATE_VM, () -> service.addVm(g.uuid(), "a", "SI", null));
    refused(Reason.UNKNOWN_GROUP, () -> service.addVm("nope", "d", "SI", null));
    refused(Reason.UNKNOWN_VM, () -> service.removeVm(g.uuid(), "zz"));
    refused(Reason.UNKNOWN_VM, () -> service.removeVm(other.uuid(), "a"));
    refused(Reason.UNKNOWN_GROUP, () -> service.removeVm("nope", "a"));
    refused(Reason.UNKNOWN_VM, () -> service.moveVm("zz", "h1"));
    refused(Reason.INVALID, () -> service.moveVm("a", ""));
    assertEquals(List.of("a", "b", "c"), service.members(g.uuid()).stream().map(MemberView::vmUuid).toList());
    assertEquals(0, service.members(other.uuid()).size());
    assertEquals("h1", service.members(g.uuid()).get(0).hostUuid());
  }

  @Test public void membershipIsFixedOnceTheGroupHasCheckpoints() {
    GroupView g = threeVms();
    send(g, checkpoint("a", 0, false));
    refused(Reason.WRONG_STATE, () -> service.addVm(g.uuid(), "d", "SI", null));
    refused(Reason.WRONG_STATE, () -> service.removeVm(g.uuid(), "b"));
    assertEquals(3, service.members(g.uuid()).size());
  }

  @Test public void aVmsClassChangesUntilTheGroupStarts() {
    GroupView g = threeVms();
    MemberView b = service.changeVmClass(g.uuid(), "b", "mi_3");
    assertEquals("MI_3", b.vmClass());
    assertEquals(1, b.number());
    assertEquals("MI_3", service.members(g.uuid()).get(1).vmClass());
    assertEquals(List.of(VmClass.SI, VmClass.mi(3), VmClass.mi(2)), service.config(g.uuid()).classes());
    assertEquals("SI", service.changeVmClass(g.uuid(), "c", "SI").vmClass());

    refused(Reason.INVALID, () -> service.changeVmClass(g.uuid(), "a", "MI_1"));
    refused(Reason.INVALID, () -> service.changeVmClass(g.uuid(), "a", null));
    refused(Reason.UNKNOWN_VM, () -> service.changeVmClass(g.uuid(), "zz", "SI"));
    refused(Reason.UNKNOWN_GROUP, () -> service.changeVmClass("nope", "a", "SI"));
    assertEquals(List.of("SI", "MI_3", "SI"), service.members(g.uuid()).stream().map(MemberView::vmClass).toList());

    service.startGroup(g.uuid(), 1_800_000_000_000L);
    refused(Reason.WRONG_STATE, () -> service.changeVmClass(g.uuid(), "a", "MI_2"));
    assertEquals("SI", service.members(g.uuid()).get(0).vmClass());
  }

  @Test public void aVmsClassIsFixedOnceTheGroupHasCheckpoints() {
    GroupView g = threeVms();
    send(g, checkpoint("a", 0, false));
    refused(Reason.WRONG_STATE, () -> service.changeVmClass(g.uuid(), "c", "SI"));
    assertEquals("MI_2", service.members(g.uuid()).get(2).vmClass());
  }

  @Test public void movingAVmChangesItsHostAndTheGroupsOnHosts() {
    GroupView g = threeVms();
    GroupView other = service.createGroup("db", 1000, null, null);
    service.addVm(other.uuid(), "x", "SI", "h1");
    assertEquals(Set.of(g.uuid(), other.uuid()), Set.copyOf(service.groupsOnHost("h1")));
    assertEquals(2, service.groupsOnHost("h1").size());
    assertEquals(List.of(g.uuid()), service.groupsOnHost("h3"));
    assertEquals(List.of(), service.groupsOnHost("h9"));
    service.moveVm("c", "h9");
    assertEquals("h9", service.members(g.uuid()).get(2).hostUuid());
    assertEquals(List.of(g.uuid()), service.groupsOnHost("h9"));
    assertEquals(List.of(), service.groupsOnHost("h3"));
  }

  // ---- reports and the line -----------------------------------------------------------------------------------

  @Test public void aCheckpointNamesTheHostThatReportedItAndItsReceivedCount() {
    GroupView g = threeVms();
    service.report(new HostReport("h1", g.uuid(), List.of(checkpoint("a", 0, false, new long[3],
        new long[] {0, 2, 1})), List.of()));
    // The stable copy reported later (or by whoever) keeps the host that recorded the checkpoint.
    service.report(new HostReport("h2", g.uuid(), List.of(checkpoint("a", 0, true, new long[3],
        new long[] {0, 2, 1})), List.of()));
    CheckpointView a = service.listCheckpoints(g.uuid(), false, PageRequest.first(10)).items().get(0);
    assertEquals("h1", a.hostUuid());
    assertEquals(3, a.received());
    assertEquals(ArtifactState.STABLE, a.state());
  }

  @Test public void theLineWaitsForEveryVmsStableStateThenMoves() {
    GroupView g = threeVms();
    assertEquals(ReportOutcome.RECORDED, send(g, checkpoint("a", 0, false)).outcome());
    send(g, checkpoint("b", 0, false), checkpoint("c", 0, false));
    assertNull("staged checkpoints make no line", lineIndex(g));
    assertTrue(service.currentLine(g.uuid()).isEmpty());

    assertEquals(ReportOutcome.MADE_STABLE, send(g, checkpoint("a", 0, true)).outcome());
    ReportResult b = send(g, checkpoint("b", 0, true));
    assertNull(b.lineMoved());
    ReportResult c = send(g, checkpoint("c", 0, true));
    assertEquals(ReportOutcome.MADE_STABLE, c.outcome());
    LineView line = c.lineMoved();
    assertNotNull(line);
    assertEquals(0, line.index());
    assertEquals(g.uuid(), line.groupUuid());
    assertEquals(List.of("a", "b", "c"), line.entries().stream().map(Views.LineEntry::vmUuid).toList());
    assertEquals(checkpointOf(g, "b", 0).uuid(), line.entries().get(1).checkpointUuid());
    assertEquals(Long.valueOf(0), lineIndex(g));
    assertEquals(line.index(), service.currentLine(g.uuid()).orElseThrow().index());
    assertEquals(line.entries(), service.currentLine(g.uuid()).orElseThrow().entries());

    // Index 1: a and b checkpoint, c (MI_2) seals a log segment; the line needs all of it stable.
    both(g, checkpoint("a", 1, false), checkpoint("b", 1, false));
    assertEquals(Long.valueOf(0), lineIndex(g));
    send(g, segment("c", 1, false));
    assertEquals("a staged segment holds the line back", Long.valueOf(0), lineIndex(g));
    ReportResult moved = send(g, segment("c", 1, true));
    assertEquals(1, moved.lineMoved().index());
    LineView at1 = service.currentLine(g.uuid()).orElseThrow();
    assertEquals(1, at1.checkpointIndexOf("a"));
    assertEquals("c restores its checkpoint 0 and replays its segment", 0, at1.checkpointIndexOf("c"));

    List<LineView> lines = service.listLines(g.uuid(), PageRequest.first(10)).items();
    assertEquals("newest first", List.of(1L, 0L), lines.stream().map(LineView::index).toList());
    assertEquals(2, service.listLines(g.uuid(), PageRequest.first(10)).total());
    assertEquals(List.of(0L), service.listLines(g.uuid(), new PageRequest(1, 5)).items().stream()
        .map(LineView::index).toList());
  }

  @Test public void artifactsAreListedWithTheirState() {
    GroupView g = threeVms();
    send(g, checkpoint("a", 0, false));
    both(g, checkpoint("b", 0, false));
    send(g, segment("c", 1, false));
    CheckpointView a = checkpointOf(g, "a", 0);
    assertEquals(ArtifactState.STAGED, a.state());
    assertEquals("host://a/0", a.location());
    assertEquals("digest-a-0-0", a.contentDigest());
    assertEquals(100, a.sizeBytes());
    assertEquals(0, a.incarnation());
    assertFalse(a.forced());
    CheckpointView b = checkpointOf(g, "b", 0);
    assertEquals(ArtifactState.STABLE, b.state());
    assertEquals("stable://b/0", b.location());
    List<LogSegmentView> segs = segments(g, false);
    assertEquals(1, segs.size());
    assertEquals("c", segs.get(0).vmUuid());
    assertEquals(0, segs.get(0).firstIndex());
    assertEquals(1, segs.get(0).index());
    assertEquals(ArtifactState.STAGED, segs.get(0).state());
    assertEquals(2, service.listCheckpoints(g.uuid(), false, PageRequest.first(10)).total());
    assertEquals(1, service.listCheckpoints(g.uuid(), false, new PageRequest(1, 1)).items().size());
  }

  @Test public void checkpointsAreListedNewestFirst() {
    GroupView g = threeSi();
    send(g, checkpoint("a", 0, false));
    send(g, checkpoint("a", 1, false));
    send(g, checkpoint("a", 2, false));
    assertEquals(List.of(2L, 1L, 0L), checkpoints(g, false).stream().map(CheckpointView::index).toList());
  }

  @Test public void repeatedReportsChangeNothing() {
    GroupView g = threeSi();
    BoundaryReport staged = checkpoint("a", 0, false);
    assertEquals(ReportOutcome.RECORDED, send(g, staged).outcome());
    assertTrue(send(g, staged).outcome() == ReportOutcome.DUPLICATE);
    assertFalse(send(g, staged).changedSomething());
    BoundaryReport stable = staged.asStable("stable://a/0");
    assertEquals(ReportOutcome.MADE_STABLE, send(g, stable).outcome());
    assertEquals(ReportOutcome.DUPLICATE, send(g, stable).outcome());
    assertEquals("a staged report after the stable one", ReportOutcome.DUPLICATE, send(g, staged).outcome());
    assertEquals(1, checkpoints(g, true).size());
    assertEquals(ArtifactState.STABLE, checkpointOf(g, "a", 0).state());
    assertEquals("stable://a/0", checkpointOf(g, "a", 0).location());
  }

  @Test public void aStableReportBeforeItsStagedOneCounts() {
    GroupView g = threeSi();
    assertEquals(ReportOutcome.RECORDED, send(g, checkpoint("a", 0, true)).outcome());
    assertEquals(ArtifactState.STABLE, checkpointOf(g, "a", 0).state());
    assertEquals(ReportOutcome.DUPLICATE, send(g, checkpoint("a", 0, false)).outcome());
    send(g, checkpoint("b", 0, true));
    ReportResult last = send(g, checkpoint("c", 0, true));
    assertEquals(ReportOutcome.RECORDED, last.outcome());
    assertEquals(0, last.lineMoved().index());
    assertEquals(ArtifactState.STABLE, checkpointOf(g, "a", 0).state());
  }

  @Test public void outOfOrderReportsMoveTheLineOnlyWhenTheGapIsFilled() {
    GroupView g = threeVms();
    both(g, checkpoint("a", 0, false), checkpoint("b", 0, false), checkpoint("c", 0, false));
    // Index 2 arrives before index 1.
    both(g, checkpoint("a", 2, false), checkpoint("b", 2, false), checkpoint("c", 2, false));
    both(g, checkpoint("a", 1, false), checkpoint("b", 1, false));
    assertEquals("c's checkpoint 2 needs no segment: line 2 holds without c's segment 1",
        Long.valueOf(2), lineIndex(g));
    ReportResult late = send(g, segment("c", 1, true));
    assertEquals("behind the line", ReportOutcome.IGNORED, late.outcome());
    assertNull(late.lineMoved());
  }

  @Test public void aSegmentGapHoldsTheLineBack() {
    GroupView g = service.createGroup("mi", 1000, null, null);
    service.addVm(g.uuid(), "a", "SI", "h1");
    service.addVm(g.uuid(), "b", "SI", "h2");
    service.addVm(g.uuid(), "c", "MI_3", "h3");
    both(g, checkpoint("a", 0, false), checkpoint("b", 0, false), checkpoint("c", 0, false));
    both(g, checkpoint("a", 1, false), checkpoint("b", 1, false), checkpoint("a", 2, false),
        checkpoint("b", 2, false));
    both(g, segment("c", 2, false));
    assertEquals("c's segment 1 is missing", Long.valueOf(0), lineIndex(g));
    ReportResult filled = send(g, segment("c", 1, true));
    assertEquals(2, filled.lineMoved().index());
    assertEquals(0, service.currentLine(g.uuid()).orElseThrow().checkpointIndexOf("c"));
  }

  @Test public void reportsBehindTheLineAreIgnored() {
    GroupView g = threeSi();
    both(g, checkpoint("a", 0, false), checkpoint("b", 0, false), checkpoint("c", 0, false));
    both(g, checkpoint("a", 2, false), checkpoint("b", 2, false), checkpoint("c", 2, false));
    assertEquals(Long.valueOf(2), lineIndex(g));
    int before = checkpoints(g, true).size();
    ReportResult r = send(g, checkpoint("a", 1, true));
    assertEquals(ReportOutcome.IGNORED, r.outcome());
    assertFalse(r.changedSomething());
    assertEquals(before, checkpoints(g, true).size());
    assertEquals("a repeat of a report still live is still a duplicate", ReportOutcome.DUPLICATE,
        send(g, checkpoint("a", 0, true)).outcome());
  }

  @Test public void badReportsAreRefusedAndChangeNothing() {
    GroupView g = threeSi();
    send(g, checkpoint("a", 0, false));
    refused(Reason.UNKNOWN_GROUP, () -> service.report(new HostReport("h", "nope", List.of(checkpoint("a", 1,
        false)), List.of())));
    refused(Reason.UNKNOWN_VM, () -> send(g, checkpoint("zz", 0, false)));
    GroupView other = service.createGroup("other", 1000, null, null);
    service.addVm(other.uuid(), "x", "SI", "h1");
    refused(Reason.UNKNOWN_VM, () -> send(g, new BoundaryReport("x", BoundaryKind.CHECKPOINT, 0, 0, false, false,
        1, "l", "d", 0, 0, new long[3], new long[3])));
    refused(Reason.INVALID, () -> send(g, boundary("b", BoundaryKind.CHECKPOINT, 0, 0, false, new long[2],
        new long[2])));
    refused(Reason.CONFLICTING_REPORT, () -> send(g, new BoundaryReport("a", BoundaryKind.CHECKPOINT, 0, 0, false,
        false, 100, "host://a/0", "another digest", 0, 0, new long[3], new long[3])));
    refused(Reason.CONFLICTING_REPORT, () -> send(g, boundary("b", BoundaryKind.CHECKPOINT, 0, 2, false,
        new long[3], new long[3])));
    refused(Reason.INVALID, () -> new BoundaryReport("a", BoundaryKind.CHECKPOINT, -1, 0, false, false, 1, "l", "d",
        0, 0, new long[3], new long[3]));
    refused(Reason.INVALID, () -> new BoundaryReport("a", BoundaryKind.LOG_SEGMENT, 0, 0, false, false, 1, "l",
        "d", 0, 0, new long[3], new long[3]));
    refused(Reason.INVALID, () -> new LoggedMessageReport("a", "a", 1, 0, 0, 1, 1, 1, 0, 0, 0, "l"));
    refused(Reason.UNKNOWN_VM, () -> sendLogged(g, logged("a", "zz", 1, 0)));
    refused(Reason.UNKNOWN_VM, () -> sendLogged(g, logged("zz", "a", 1, 0)));
    assertEquals(1, checkpoints(g, true).size());
    assertEquals("digest-a-0-0", checkpointOf(g, "a", 0).contentDigest());
    assertEquals(ArtifactState.STAGED, checkpointOf(g, "a", 0).state());
    assertEquals(0, checkpoints(other, true).size());
  }

  @Test public void aBatchIsAllOrNothing() {
    GroupView g = threeSi();
    send(g, checkpoint("a", 0, false));
    List<BoundaryReport> goodThenUnknown = List.of(checkpoint("b", 0, true), checkpoint("c", 0, true),
        checkpoint("zz", 0, true));
    refused(Reason.UNKNOWN_VM, () -> service.report(new HostReport("h", g.uuid(), goodThenUnknown, List.of())));
    List<BoundaryReport> goodThenConflict = List.of(checkpoint("a", 0, true), checkpoint("b", 0, true),
        new BoundaryReport("a", BoundaryKind.CHECKPOINT, 0, 0, false, false, 100, "x", "other", 0, 0, new long[3],
            new long[3]));
    refused(Reason.CONFLICTING_REPORT,
        () -> service.report(new HostReport("h", g.uuid(), goodThenConflict, List.of())));
    List<BoundaryReport> selfConflict = List.of(checkpoint("b", 0, false),
        new BoundaryReport("b", BoundaryKind.CHECKPOINT, 0, 0, false, false, 100, "x", "other", 0, 0, new long[3],
            new long[3]));
    refused(Reason.CONFLICTING_REPORT, () -> service.report(new HostReport("h", g.uuid(), selfConflict, List.of())));
    refused(Reason.UNKNOWN_VM, () -> service.report(new HostReport("h", g.uuid(), List.of(checkpoint("b", 0, true)),
        List.of(logged("a", "zz", 1, 0)))));
    assertEquals(1, checkpoints(g, true).size());
    assertEquals(ArtifactState.STAGED, checkpointOf(g, "a", 0).state());
    assertNull(lineIndex(g));

    // The same batch without its bad report goes in whole, and moves the line at once.
    ReportResult ok = service.report(new HostReport("h", g.uuid(),
        List.of(checkpoint("a", 0, true), checkpoint("b", 0, true), checkpoint("c", 0, true)), List.of()));
    assertTrue(ok.changedSomething());
    assertEquals(0, ok.lineMoved().index());
    assertEquals(3, checkpoints(g, false).size());
  }

  @Test public void aBatchMayCarryAReportStagedThenStable() {
    GroupView g = threeSi();
    BoundaryReport staged = checkpoint("a", 0, false);
    ReportResult r = service.report(new HostReport("h1", g.uuid(),
        List.of(staged, staged.asStable("stable://a/0"), checkpoint("b", 0, true), checkpoint("c", 0, true)),
        List.of()));
    assertTrue(r.changedSomething());
    assertEquals(0, r.lineMoved().index());
    assertEquals(ArtifactState.STABLE, checkpointOf(g, "a", 0).state());
    assertEquals(3, checkpoints(g, true).size());
  }

  @Test public void anEmptyBatchChangesNothing() {
    GroupView g = threeSi();
    assertFalse(service.report(new HostReport("h", g.uuid(), List.of(), List.of())).changedSomething());
    refused(Reason.UNKNOWN_GROUP, () -> service.report(new HostReport("h", "nope", List.of(), List.of())));
  }

  // ---- logged in-transit messages ------------------------------------------------------------------------------

  @Test public void aMessageInTransitHoldsTheLineUntilItIsLogged() {
    GroupView g = threeSi();
    both(g, checkpoint("a", 0, false), checkpoint("b", 0, false), checkpoint("c", 0, false));
    // In interval 0..1, a sent b two messages; b received them only after boundary 1 (late).
    both(g, checkpoint("a", 1, false, new long[] {0, 2, 0}, new long[3]),
        checkpoint("b", 1, false), checkpoint("c", 1, false));
    assertEquals("two messages on the wire across boundary 1", Long.valueOf(0), lineIndex(g));
    assertEquals(ReportOutcome.RECORDED, sendLogged(g, logged("a", "b", 1, 0)).outcome());
    assertEquals(Long.valueOf(0), lineIndex(g));
    assertEquals(ReportOutcome.DUPLICATE, sendLogged(g, logged("a", "b", 1, 0)).outcome());
    ReportResult second = sendLogged(g, logged("a", "b", 2, 0));
    assertEquals(ReportOutcome.RECORDED, second.outcome());
    assertEquals(1, second.lineMoved().index());

    // At boundary 2 b has received both: the line at 2 contains them, so collection removes them.
    both(g, checkpoint("a", 2, false, new long[] {0, 2, 0}, new long[3]),
        checkpoint("b", 2, false, new long[3], new long[] {2, 0, 0}), checkpoint("c", 2, false));
    assertEquals(Long.valueOf(2), lineIndex(g));
    CollectionResult collected = service.collect(g.uuid());
    assertEquals(2, collected.loggedMessages());
    assertEquals(6, collected.checkpoints());
    assertTrue(collected.locations().contains("stable://log/a-b-1"));
    assertTrue(collected.locations().contains("stable://log/a-b-2"));
    assertEquals(8, collected.locations().size());
  }

  @Test public void loggedMessagesAndBoundariesMayShareABatch() {
    GroupView g = threeSi();
    both(g, checkpoint("a", 0, false), checkpoint("b", 0, false), checkpoint("c", 0, false));
    both(g, checkpoint("a", 1, false, new long[] {0, 0, 1}, new long[3]), checkpoint("b", 1, false));
    ReportResult r = service.report(new HostReport("h3", g.uuid(), List.of(checkpoint("c", 1, true)),
        List.of(logged("a", "c", 1, 0))));
    assertTrue(r.changedSomething());
    assertEquals(1, r.lineMoved().index());
  }

  // ---- collection -------------------------------------------------------------------------------------------

  @Test public void collectKeepsTheLatestCheckpointsBehindTheLineWhenAsked() {
    GroupView g = threeVms();
    both(g, checkpoint("a", 0, false), checkpoint("b", 0, false), checkpoint("c", 0, false));
    both(g, checkpoint("a", 1, false), checkpoint("b", 1, false), segment("c", 1, false));
    both(g, checkpoint("a", 2, false), checkpoint("b", 2, false), checkpoint("c", 2, false));

    CollectionResult keepingOne = service.collect(g.uuid(), 1);
    assertEquals("a's and b's 0; c's 0 is its only one behind the line", 2, keepingOne.checkpoints());
    assertEquals("c's segment at 1 follows its kept checkpoint", 0, keepingOne.logSegments());
    assertEquals(java.util.Set.of("a/1", "a/2", "b/1", "b/2", "c/0", "c/2"), checkpoints(g, false).stream()
        .map(c -> c.vmUuid() + "/" + c.index()).collect(java.util.stream.Collectors.toSet()));
    assertEquals(new CollectionResult(0, 0, 0, List.of()), service.collect(g.uuid(), 1));
    // Keeping none now collects what the window held.
    CollectionResult rest = service.collect(g.uuid(), 0);
    assertEquals(3, rest.checkpoints());
    assertEquals(1, rest.logSegments());
    assertEquals(List.of(2L, 2L, 2L), checkpoints(g, false).stream().map(CheckpointView::index).toList());
  }

  /**
   * A checkpoint of a guest that has not run since it was restored is the restored checkpoint again, at the same
   * location (a real guest's, which nothing can rebuild from a log): collecting the older row must not delete what
   * the newer one still names.
   */
  @Test public void aLocationALaterCheckpointStillNamesIsNotCollected() {
    GroupView g = threeSi();
    both(g, checkpoint("a", 0, false), checkpoint("b", 0, false), checkpoint("c", 0, false));
    both(g, checkpoint("b", 1, false), checkpoint("c", 1, false));
    BoundaryReport again = checkpoint("a", 1, false);
    send(g, again);
    send(g, again.asStable("stable://a/0"));  // a did not run between 0 and 1: the same checkpoint
    assertEquals(Long.valueOf(1), lineIndex(g));

    CollectionResult collected = service.collect(g.uuid());
    assertEquals(3, collected.checkpoints());
    assertFalse("the line's checkpoint of a is still there", collected.locations().contains("stable://a/0"));
    assertTrue(collected.locations().containsAll(List.of("stable://b/0", "stable://c/0")));
    assertTrue(service.storedLocations().contains("stable://a/0"));
  }

  @Test public void storedLocationsAreWhatTheCatalogStillCountsOn() {
    GroupView g = threeVms();
    both(g, checkpoint("a", 0, false), checkpoint("b", 0, false), checkpoint("c", 0, false));
    both(g, checkpoint("a", 1, false), checkpoint("b", 1, false), segment("c", 1, false));
    both(g, checkpoint("a", 2, false), checkpoint("b", 2, false), checkpoint("c", 2, false));
    Set<String> before = service.storedLocations();
    assertTrue(before.containsAll(List.of("stable://a/0", "stable://c/1", "stable://c/2")));

    CollectionResult collected = service.collect(g.uuid());
    Set<String> after = service.storedLocations();
    for (String gone : collected.locations()) assertFalse(gone, after.contains(gone));
    assertTrue(after.containsAll(List.of("stable://a/2", "stable://b/2", "stable://c/2")));

    service.deleteGroup(g.uuid());
    assertEquals("a deleted group's storage counts for nothing", Set.of(), service.storedLocations());
  }

  @Test public void collectMarksWhatLiesBehindTheLine() {
    GroupView g = threeVms();
    assertEquals(new CollectionResult(0, 0, 0, List.of()), service.collect(g.uuid()));
    both(g, checkpoint("a", 0, false), checkpoint("b", 0, false), checkpoint("c", 0, false));
    both(g, checkpoint("a", 1, false), checkpoint("b", 1, false), segment("c", 1, false));
    both(g, checkpoint("a", 2, false), checkpoint("b", 2, false), checkpoint("c", 2, false));
    assertEquals(Long.valueOf(2), lineIndex(g));
    assertEquals(8, checkpoints(g, false).size());

    CollectionResult result = service.collect(g.uuid());
    assertEquals("a's and b's 0 and 1, c's 0", 5, result.checkpoints());
    assertEquals(1, result.logSegments());
    assertEquals(0, result.loggedMessages());
    assertEquals(6, result.locations().size());
    assertTrue(result.locations().contains("stable://c/1"));
    assertTrue(result.locations().contains("stable://a/0"));

    assertEquals(List.of(2L, 2L, 2L), checkpoints(g, false).stream().map(CheckpointView::index).toList());
    assertEquals(0, segments(g, false).size());
    List<CheckpointView> all = checkpoints(g, true);
    assertEquals(8, all.size());
    assertEquals(5, all.stream().filter(c -> c.state() == ArtifactState.COLLECTED).count());
    assertEquals(ArtifactState.COLLECTED, segments(g, true).get(0).state());
    assertEquals(new CollectionResult(0, 0, 0, List.of()), service.collect(g.uuid()));
    refused(Reason.UNKNOWN_GROUP, () -> service.collect("nope"));
  }

  @Test public void collectKeepsWhatAnMiVmStillNeeds() {
    GroupView g = threeVms();
    both(g, checkpoint("a", 0, false), checkpoint("b", 0, false), checkpoint("c", 0, false));
    both(g, checkpoint("a", 1, false), checkpoint("b", 1, false), segment("c", 1, false));
    assertEquals(Long.valueOf(1), lineIndex(g));
    CollectionResult result = service.collect(g.uuid());
    assertEquals("a's and b's checkpoint 0; c's checkpoint 0 and segment 1 make its state at the line", 2,
        result.checkpoints());
    assertEquals(0, result.logSegments());
    assertEquals(ArtifactState.STABLE, checkpointOf(g, "c", 0).state());
    assertEquals(1, segments(g, false).size());
  }

  // ---- recovery -----------------------------------------------------------------------------------------------

  @Test public void aVmFailureRestartsFromTheLatestCheckpointEvenStaged() {
    GroupView g = threeSi();
    both(g, checkpoint("a", 0, false));
    send(g, checkpoint("a", 1, false));
    VmFailurePlan plan = service.planVmFailure("a");
    assertEquals("a", plan.vmUuid());
    assertEquals("h1", plan.hostUuid());
    assertEquals(1, plan.checkpointIndex());
    assertEquals(ArtifactState.STAGED, plan.checkpointState());
    assertEquals("host://a/1", plan.checkpointLocation());
    assertEquals(checkpointOf(g, "a", 1).uuid(), plan.checkpointUuid());
    refused(Reason.UNKNOWN_VM, () -> service.planVmFailure("zz"));
    refused(Reason.WRONG_STATE, () -> service.planVmFailure("b"));
  }

  /**
   * Line at 1; after it, a sent b three messages (b received them) and c none; a's host fails. The smallest
   * rollback set is {a, b}: b holds orphans, c does not.
   */
  private HostFailurePlan lineAt1ThenAFails(GroupView g) {
    both(g, checkpoint("a", 0, false), checkpoint("b", 0, false), checkpoint("c", 0, false));
    both(g, checkpoint("a", 1, false), checkpoint("b", 1, false), checkpoint("c", 1, false));
    assertEquals(Long.valueOf(1), lineIndex(g));
    // After the line: staged checkpoints at 2 (not stable, so the line stays at 1).
    send(g, checkpoint("a", 2, false, new long[] {0, 3, 0}, new long[3]),
        checkpoint("b", 2, false, new long[3], new long[] {3, 0, 0}), checkpoint("c", 2, false));
    Snapshot survivors = new Snapshot(new TreeSet<>(Set.of(1, 2)),
        Map.of(1, new long[] {3, 0, 0}, 2, new long[] {0, 0, 0}), Map.of(), Map.of());
    return service.planRecovery(g.uuid(), Set.of("a"), survivors);
  }

  @Test public void planRecoveryRollsBackTheMinimalSet() {
    GroupView g = threeSi();
    HostFailurePlan plan = lineAt1ThenAFails(g);
    assertEquals(g.uuid(), plan.groupUuid());
    assertEquals(1, plan.plan().lineIndex());
    assertEquals(new TreeSet<>(Set.of(0)), plan.plan().failed());
    assertEquals(new TreeSet<>(Set.of(0, 1)), plan.plan().rolledBack());
    assertEquals(List.of("a", "b"), plan.rolledBackVmUuids());
    assertEquals(List.of("a", "b", "c"), plan.members().stream().map(MemberView::vmUuid).toList());
    assertEquals(2, plan.restores().size());
    Views.RestoreStep a = plan.restores().get(0);
    assertEquals("a", a.vmUuid());
    assertEquals(1, a.newIncarnation());
    assertEquals(1, a.checkpointIndex());
    assertEquals(checkpointOf(g, "a", 1).uuid(), a.checkpointUuid());
    assertEquals("stable://a/1", a.checkpointLocation());
    assertEquals(List.of(), a.segmentLocations());
    assertEquals(0, a.replayedMessages());
    assertEquals("planning changes nothing", Long.valueOf(1), lineIndex(g));
    assertEquals(0, service.members(g.uuid()).get(0).incarnation());
  }

  @Test public void planRecoveryRefusesBadInput() {
    GroupView g = threeSi();
    Snapshot none = new Snapshot(Set.of(1, 2), Map.of(1, new long[3], 2, new long[3]), Map.of(), Map.of());
    refused(Reason.UNKNOWN_GROUP, () -> service.planRecovery("nope", Set.of("a"), none));
    both(g, checkpoint("a", 0, false), checkpoint("b", 0, false));
    refused(Reason.WRONG_STATE, () -> service.planRecovery(g.uuid(), Set.of("a"), none));
    both(g, checkpoint("c", 0, false));
    refused(Reason.UNKNOWN_VM, () -> service.planRecovery(g.uuid(), Set.of("zz"), none));
    assertEquals(1, service.planRecovery(g.uuid(), Set.of("a"), none).plan().rolledBack().size());
  }

  @Test public void aClaimedRecoveryKeepsItsPlanUntilItEnds() {
    GroupView g = threeSi();
    HostFailurePlan plan = lineAt1ThenAFails(g);
    RecoveryEventView event = service.claimRecovery(g.uuid(), FailureKind.HOST, "h1", plan).orElseThrow();
    assertEquals(g.uuid(), event.groupUuid());
    assertEquals(FailureKind.HOST, event.failureKind());
    assertEquals("h1", event.failedRef());
    assertEquals(Long.valueOf(1), event.lineIndex());
    assertEquals(List.of("a", "b"), event.rolledBack());
    assertEquals(RecoveryState.RUNNING, event.state());
    assertNotNull(event.owner());
    assertNotNull(event.started());
    assertNull(event.finished());

    assertEquals("the exact plan", plan, service.claimedPlan(event.uuid()));
    assertEquals(List.of(event.uuid()), running(g));
    assertEquals("a second claim of the same failure while it runs", Optional.empty(),
        service.claimRecovery(g.uuid(), FailureKind.HOST, "h1", plan));
    assertEquals(List.of(event.uuid()), running(g));

    RecoveryEventView done = service.finishRecovery(event.uuid(), true, 7, "restored");
    assertEquals(RecoveryState.SUCCEEDED, done.state());
    assertEquals(7, done.replayedMessages());
    assertEquals("restored", done.outcome());
    assertNotNull(done.finished());
    assertNotNull(done.durationMs());
    assertTrue(done.durationMs() >= 0);
    RecoveryEventView repeated = service.finishRecovery(event.uuid(), true, 7, "restored");
    assertEquals("repeating the outcome changes nothing", List.of(done.uuid(), done.state(), done.replayedMessages(),
        done.outcome(), done.durationMs()), List.of(repeated.uuid(), repeated.state(), repeated.replayedMessages(),
        repeated.outcome(), repeated.durationMs()));
    refused(Reason.WRONG_STATE, () -> service.finishRecovery(event.uuid(), false, 0, "failed"));
    assertEquals(RecoveryState.SUCCEEDED,
        service.listRecoveryEvents(g.uuid(), PageRequest.first(10)).items().get(0).state());
    assertEquals(List.of(), running(g));
    assertEquals(plan, service.claimedPlan(event.uuid()));
    refused(Reason.UNKNOWN_RECOVERY, () -> service.claimedPlan("nope"));
    refused(Reason.UNKNOWN_RECOVERY, () -> service.finishRecovery("nope", true, 0, "x"));
  }

  @Test public void aClaimRollsBackTheVmsOfItsPlan() {
    GroupView g = threeSi();
    HostFailurePlan plan = lineAt1ThenAFails(g);
    service.claimRecovery(g.uuid(), FailureKind.HOST, "h1", plan).orElseThrow();
    List<MemberView> members = service.members(g.uuid());
    assertEquals(List.of(1, 1, 0), members.stream().map(MemberView::incarnation).toList());
    assertEquals(ArtifactState.DISCARDED, checkpointOf(g, "a", 2).state());
    assertEquals(ArtifactState.DISCARDED, checkpointOf(g, "b", 2).state());
    assertEquals(ArtifactState.STAGED, checkpointOf(g, "c", 2).state());
    assertEquals(ArtifactState.STABLE, checkpointOf(g, "a", 1).state());
    assertEquals(Long.valueOf(1), lineIndex(g));
    assertTrue(checkpoints(g, false).stream().noneMatch(c -> c.state() == ArtifactState.DISCARDED));

    // The discarded execution's reports are ignored; the new incarnation's count.
    assertEquals(ReportOutcome.IGNORED, send(g, checkpoint("a", 2, true, new long[] {0, 3, 0}, new long[3]))
        .outcome());
    refused(Reason.CONFLICTING_REPORT, () -> send(g, boundary("a", BoundaryKind.CHECKPOINT, 2, 2, true,
        new long[3], new long[3])));
    assertEquals(ReportOutcome.RECORDED, send(g, boundary("a", BoundaryKind.CHECKPOINT, 2, 1, false, new long[3],
        new long[3])).outcome());
    send(g, boundary("b", BoundaryKind.CHECKPOINT, 2, 1, true, new long[3], new long[3]));
    send(g, checkpoint("c", 2, true));
    ReportResult moved = send(g, boundary("a", BoundaryKind.CHECKPOINT, 2, 1, true, new long[3], new long[3]));
    assertEquals(ReportOutcome.MADE_STABLE, moved.outcome());
    assertEquals(2, moved.lineMoved().index());
    assertEquals(1, checkpointOf(g, "a", 2).incarnation());
    VmFailurePlan restart = service.planVmFailure("a");
    assertEquals(2, restart.checkpointIndex());
  }

  /** Survivors whose hosts carry receipts (causal logging). */
  private record CarryingReceipts(Snapshot snapshot, Map<Integer, List<CarriedReceipt>> carried) implements Survivors {
    @Override public Set<Integer> vms() { return snapshot.vms(); }
    @Override public long[] receivedFrom(int vm) { return snapshot.receivedFrom(vm); }
    @Override public List<LogEntry> receiveLog(int vm) { return snapshot.receiveLog(vm); }
    @Override public List<SenderCopy> copiesTo(int vm) { return snapshot.copiesTo(vm); }
    @Override public boolean carryReceipts() { return true; }
    @Override public List<CarriedReceipt> carriedReceipts(int vm) { return carried.getOrDefault(vm, List.of()); }
  }

  /**
   * Line at 1; after it, a received b's message #1 (receipt 1 of its incarnation 0), and a message of a's carried
   * that receipt to c's host; b's host keeps a copy of the message. a's host fails, twice: each plan rebuilds a past
   * its stable state by that receipt, the second one too, though a runs under incarnation 1 by then (its
   * re-execution took receipt 1 again without carrying it anywhere).
   */
  @Test public void aReceiptOfAnEarlierIncarnationStillExtendsTheStateARecoveryRebuiltPastIt() {
    GroupView g = threeSi();
    both(g, checkpoint("a", 0, false), checkpoint("b", 0, false), checkpoint("c", 0, false));
    both(g, checkpoint("a", 1, false), checkpoint("b", 1, false), checkpoint("c", 1, false));
    Message fromB = new Message(1, 0, 1, 1, 0, 64, 4242);
    LogEntry receipt = new LogEntry(fromB, 1, 15, 1, 0);
    Survivors survivors = new CarryingReceipts(new Snapshot(new TreeSet<>(Set.of(1, 2)),
        Map.of(1, new long[3], 2, new long[3]), Map.of(), Map.of(0, List.of(new SenderCopy(fromB, 1, 1, 0)))),
        Map.of(0, List.of(new CarriedReceipt(receipt))));

    HostFailurePlan first = service.planRecovery(g.uuid(), Set.of("a"), survivors);
    assertEquals(List.of(receipt.message()), first.plan().restores().get(0).extension().stream()
        .map(LogEntry::message).toList());
    RecoveryEventView event = service.claimRecovery(g.uuid(), FailureKind.HOST, "h1", first).orElseThrow();
    service.finishRecovery(event.uuid(), true, 0, "restored");
    assertEquals(1, service.members(g.uuid()).get(0).incarnation());

    HostFailurePlan second = service.planRecovery(g.uuid(), Set.of("a"), survivors);
    assertEquals(List.of("a"), second.rolledBackVmUuids());
    assertEquals("receipt 1 of incarnation 0 is receipt 1 of incarnation 1's execution too",
        List.of(receipt.message()), second.plan().restores().get(0).extension().stream()
            .map(LogEntry::message).toList());
    assertEquals(2, second.restores().get(0).newIncarnation());
  }

  @Test public void aClaimWithAnOutdatedPlanIsRefusedAndChangesNothing() {
    GroupView g = threeSi();
    HostFailurePlan plan = lineAt1ThenAFails(g);
    both(g, checkpoint("a", 2, false, new long[] {0, 3, 0}, new long[3]),
        checkpoint("b", 2, false, new long[3], new long[] {3, 0, 0}), checkpoint("c", 2, false));
    assertEquals(Long.valueOf(2), lineIndex(g));
    refused(Reason.WRONG_STATE, () -> service.claimRecovery(g.uuid(), FailureKind.HOST, "h1", plan));
    assertEquals(List.of(0, 0, 0), service.members(g.uuid()).stream().map(MemberView::incarnation).toList());
    assertEquals(0, service.listRecoveryEvents(g.uuid(), PageRequest.first(10)).total());
    assertEquals(List.of(), running(g));
    refused(Reason.UNKNOWN_GROUP, () -> service.claimRecovery("nope", FailureKind.HOST, "h1", null));
  }

  @Test public void recoveryEventsAreListedNewestFirst() {
    GroupView g = threeSi();
    both(g, checkpoint("a", 0, false), checkpoint("b", 0, false), checkpoint("c", 0, false));
    RecoveryEventView vm = service.claimRecovery(g.uuid(), FailureKind.VM, "a", null).orElseThrow();
    assertEquals(List.of(), vm.rolledBack());
    assertEquals(Long.valueOf(0), vm.lineIndex());
    RecoveryEventView host = service.claimRecovery(g.uuid(), FailureKind.HOST, "h2", null).orElseThrow();
    Page<RecoveryEventView> page = service.listRecoveryEvents(g.uuid(), PageRequest.first(10));
    assertEquals(2, page.total());
    assertEquals(List.of(host.uuid(), vm.uuid()), page.items().stream().map(RecoveryEventView::uuid).toList());
    assertEquals(List.of(vm.uuid()), service.listRecoveryEvents(g.uuid(), new PageRequest(1, 1)).items().stream()
        .map(RecoveryEventView::uuid).toList());
    assertEquals(Set.of(vm.uuid(), host.uuid()), Set.copyOf(running(g)));
    service.finishRecovery(vm.uuid(), false, 0, "gave up");
    assertEquals(RecoveryState.FAILED, service.listRecoveryEvents(g.uuid(), PageRequest.first(10)).items().get(1)
        .state());
    assertEquals(List.of(host.uuid()), running(g));
    RecoveryEventView again = service.claimRecovery(g.uuid(), FailureKind.VM, "a", null).orElseThrow();
    assertEquals("an ended recovery may be claimed again", 3,
        service.listRecoveryEvents(g.uuid(), PageRequest.first(10)).total());
    assertFalse(again.uuid().equals(vm.uuid()));
    refused(Reason.UNKNOWN_GROUP, () -> service.listRecoveryEvents("nope", PageRequest.first(10)));
  }

  private List<String> running(GroupView g) {
    List<String> out = new ArrayList<>();
    for (RecoveryEventView e : service.runningRecoveries()) {
      if (e.groupUuid().equals(g.uuid())) {
        assertEquals(RecoveryState.RUNNING, e.state());
        out.add(e.uuid());
      }
    }
    return out;
  }
}
