package com.cloud.hypervisor.kvm.resource.wrapper;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;

import com.cloud.hypervisor.kvm.resource.LibvirtComputingResource;
import com.cloud.resource.CommandWrapper;
import com.cloud.resource.ResourceWrapper;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.Test;
import org.vmqsc.agent.wire.Wire;
import org.vmqsc.agent.engine.CheckpointEngine;
import org.vmqsc.agent.store.CheckpointKey;
import org.vmqsc.agent.wire.WireMessages.GroupRef;
import org.vmqsc.agent.wire.WireMessages.LineOrder;
import org.vmqsc.agent.wire.WireMessages.ReconcileOrder;
import org.vmqsc.agent.wire.WireMessages.Report;
import org.vmqsc.agent.wire.WireMessages.Reports;
import org.vmqsc.agent.wire.WireMessages.RestoreOrder;
import org.vmqsc.plugin.command.CheckpointTickCommand;
import org.vmqsc.plugin.command.FenceHostCommand;
import org.vmqsc.plugin.command.DropGroupCommand;
import org.vmqsc.plugin.command.FreezeGroupCommand;
import org.vmqsc.plugin.command.ReconcileStorageCommand;
import org.vmqsc.plugin.command.RecoveryLineCommand;
import org.vmqsc.plugin.command.ThawGroupCommand;
import org.vmqsc.plugin.command.RestoreVmCommand;
import org.vmqsc.plugin.command.SnapshotHostCommand;
import org.vmqsc.plugin.command.VmqscAnswer;
import org.vmqsc.plugin.host.CloudStackDispatcher;
import org.vmqsc.plugin.host.PluginCommands;
import org.vmqsc.protocol.BoundaryRecord;
import org.vmqsc.protocol.recovery.HostSnapshot;
import org.vmqsc.protocol.recovery.VmRestore;

/**
 * The KVM command wrappers as CloudStack's agent runs them (a command in, an answer out) over agent-ext's host
 * nodes, with the simulator driver in place of libvirt: real checkpoints into a staging store, flushed to a shared
 * stable store, restored into another host's guest byte for byte.
 */
public class VmqscWrappersTest extends KvmHostsInOneJvm {

  private static final List<Class<?>> WRAPPERS = PluginCommands.wrappersIn("com.cloud.hypervisor.kvm.resource.wrapper");

  /**
   * CloudStack's own dispatcher on the agent ({@code LibvirtRequestWrapper}, which finds wrappers by scanning this
   * package when it loads) hands every vmqsc command to vmqsc's wrapper, and a tick through it reaches the host's
   * node. That class is in CloudStack's jars only: the test runs under {@code -Pcloudstack} and skips, saying why,
   * against the declarations.
   */
  @Test
  public void cloudStacksOwnAgentDispatcherHandsEveryCommandToItsWrapper() throws Exception {
    Object dispatcher = CloudStackDispatcher.instance("com.cloud.hypervisor.kvm.resource.wrapper.LibvirtRequestWrapper");
    CloudStackDispatcher.assertFinds(dispatcher, LibvirtComputingResource.class, WRAPPERS);
    a.driver.start(VM0, 64, 0.75, 1);
    assertTrue(a.run(new VmqscDeployGroupCommandWrapper(), deploy("host-a", List.of(0))).getResult());
    VmqscAnswer tick = a.dispatch(dispatcher, new CheckpointTickCommand(GROUP, json(new GroupRef(GROUP))));
    assertTrue(tick.getDetails(), tick.getResult());
    assertEquals("host-a", Wire.GSON.fromJson(tick.getBody(), Reports.class).hostUuid());
  }

  @Test
  public void everyWrapperIsWhereCloudStacksAgentLooksAndHandlesItsCommand() throws Exception {
    for (Class<?> w : WRAPPERS) {
      assertEquals("com.cloud.hypervisor.kvm.resource.wrapper", w.getPackageName());
      assertTrue(CommandWrapper.class.isAssignableFrom(w));
      ResourceWrapper handles = w.getAnnotation(ResourceWrapper.class);
      assertNotNull(w + " is not annotated", handles);
      assertEquals(w.getSimpleName(), "Vmqsc" + handles.handles().getSimpleName() + "Wrapper");
      w.getDeclaredConstructor().newInstance(); // CloudStack instantiates them without arguments
    }
  }

  @Test
  public void checkpointsAreTakenReportedMadeStableAndRestoredOnAnotherHost() throws Exception {
    a.driver.start(VM0, 64, 0.75, 1);
    a.driver.start(VM1, 64, 0.75, 2);
    assertTrue(a.run(new VmqscDeployGroupCommandWrapper(), deploy("host-a", List.of(0, 1))).getResult());
    clock.advance(1000); // base boundary 1 on the host's clock
    List<Report> reports = tickUntilStable(a, 1, 2);
    BoundaryRecord vm0AtOne = reports.stream().map(Report::boundary)
        .filter(r -> r != null && r.vm() == 0 && r.index() == 1).findFirst().orElseThrow();
    // The manager refuses a second report of a checkpoint that differs from the first (a CloudStack management
    // server did, when the stable report said 0 bytes): the stable report repeats the staged one's size and digest.
    for (Report stable : reports.stream().filter(r -> r.boundary() != null && r.stable()).toList()) {
      Report staged = reports.stream().filter(r -> !r.stable() && stable.boundary().equals(r.boundary()))
          .findFirst().orElseThrow();
      assertTrue(staged.sizeBytes() > 0);
      assertEquals(staged.sizeBytes(), stable.sizeBytes());
      assertEquals(staged.digest(), stable.digest());
    }
    byte[] memoryAtOne = a.driver.guest(VM0).memoryForTest();

    HostSnapshot snapshot = Wire.GSON.fromJson(a.run(new VmqscSnapshotHostCommandWrapper(),
        new SnapshotHostCommand(GROUP, json(new GroupRef(GROUP)))).getBody(), HostSnapshot.class);
    assertEquals(List.of(0, 1), snapshot.running());

    // Host a fails; the manager restores VM 0 on host b from its stable checkpoint at index 1.
    a.driver.guest(VM0).rewrite(0, 8);
    b.driver.start(VM0, 64, 0.75, 99);
    assertTrue(b.run(new VmqscDeployGroupCommandWrapper(), deploy("host-b", List.of())).getResult());
    VmRestore restore = new VmRestore(0, 1, vm0AtOne, List.of(), vm0AtOne, List.of());
    VmqscAnswer restored = b.run(new VmqscRestoreVmCommandWrapper(), new RestoreVmCommand(GROUP,
        json(new RestoreOrder(GROUP, restore, VM0 + "/" + GROUP + "-0-1", List.of()))));
    assertTrue(restored.getDetails(), restored.getResult());
    assertArrayEquals(memoryAtOne, b.driver.guest(VM0).memoryForTest());
    HostSnapshot onB = Wire.GSON.fromJson(b.run(new VmqscSnapshotHostCommandWrapper(),
        new SnapshotHostCommand(GROUP, json(new GroupRef(GROUP)))).getBody(), HostSnapshot.class);
    assertEquals(List.of(0), onB.running());

    assertTrue(a.run(new VmqscFenceHostCommandWrapper(), new FenceHostCommand("", json(new GroupRef("")))).getResult());
    assertEquals(List.of(), tick(a).batch());
  }

  /**
   * The recovery-line command carries what the line left behind: the host deletes those checkpoints from its
   * staging store and from the stable store, and the line's checkpoints still restore.
   */
  @Test
  public void theLineCommandDeletesTheCheckpointsBehindTheLine() throws Exception {
    bootBothOnA();
    clock.advance(1000);
    tickUntilStable(a, 1, 2);
    CheckpointKey vm0AtZero = new CheckpointKey(VM0, GROUP + "-0-0");
    CheckpointKey vm0AtOne = new CheckpointKey(VM0, GROUP + "-0-1");
    assertTrue(a.host.staging.manifest(vm0AtZero).isPresent());
    assertTrue(a.host.stable.manifest(vm0AtZero).isPresent());

    VmqscAnswer moved = a.run(new VmqscRecoveryLineCommandWrapper(), new RecoveryLineCommand(GROUP,
        json(new LineOrder(GROUP, 1, List.of(VM0 + "/" + GROUP + "-0-0", VM1 + "/" + GROUP + "-0-0")))));
    assertTrue(moved.getDetails(), moved.getResult());

    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (a.host.stable.manifest(vm0AtZero).isPresent() || a.host.staging.manifest(vm0AtZero).isPresent()) {
      assertTrue("checkpoint 0 still stored after 30 s", System.nanoTime() < deadline);
      Thread.sleep(20);
    }
    assertEquals(List.of(vm0AtOne, new CheckpointKey(VM1, GROUP + "-0-1")), a.host.stable.checkpoints());
    java.io.ByteArrayOutputStream image = new java.io.ByteArrayOutputStream();
    CheckpointEngine.restore(vm0AtOne, a.host.stable, image, null);
    assertEquals(64 * 4096, image.size());
  }

  /** A deleted group stops on the host: no checkpoint is due for it any more, no report comes. */
  @Test
  public void theDropCommandStopsTheGroupOnTheHost() throws Exception {
    bootBothOnA();
    clock.advance(1000);
    tickUntilStable(a, 1, 2);
    VmqscAnswer dropped = a.run(new VmqscDropGroupCommandWrapper(), new DropGroupCommand(GROUP,
        json(new GroupRef(GROUP))));
    assertTrue(dropped.getDetails(), dropped.getResult());
    clock.advance(1000);  // boundary 2: due, were the group still here
    assertEquals(List.of(), tick(a).batch());
    assertTrue(a.agent.awaitCheckpoints(Duration.ofSeconds(10)));
    assertFalse(a.host.staging.manifest(new CheckpointKey(VM0, GROUP + "-0-2")).isPresent());
  }

  /**
   * The reconcile command names everything the tables count on: the host deletes what else its stores hold, once
   * older than the grace, and nothing it names.
   */
  @Test
  public void theReconcileCommandDeletesWhatTheTablesNoLongerName() throws Exception {
    bootBothOnA();
    clock.advance(1000);
    tickUntilStable(a, 1, 2);
    List<String> named = List.of(VM0 + "/" + GROUP + "-0-0", VM1 + "/" + GROUP + "-0-0", VM0 + "/" + GROUP + "-0-1",
        VM1 + "/" + GROUP + "-0-1");
    // A deleted group's checkpoint, left on stable storage an hour ago.
    CheckpointKey named0 = new CheckpointKey(VM0, GROUP + "-0-0");
    org.vmqsc.agent.store.Manifest m = a.host.stable.manifest(named0).orElseThrow();
    CheckpointKey leftover = new CheckpointKey("vm-of-a-deleted-group", "g-0-3");
    a.host.stable.putManifest(new org.vmqsc.agent.store.Manifest(m.format(), leftover.vmId(), leftover.checkpointId(),
        m.createdAtMillis(), m.imageBytes(), m.chunker(), m.attributes(), m.chunks()));
    java.nio.file.Path file = a.host.stable.root().resolve("manifests").resolve(leftover.vmId())
        .resolve(leftover.checkpointId());
    java.nio.file.Files.setLastModifiedTime(file, java.nio.file.attribute.FileTime.from(
        java.time.Instant.now().minus(Duration.ofHours(1))));

    VmqscAnswer done = a.run(new VmqscReconcileStorageCommandWrapper(), new ReconcileStorageCommand(
        json(new ReconcileOrder(named, Duration.ofMinutes(10).toMillis()))));
    assertTrue(done.getDetails(), done.getResult());

    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (a.host.stable.manifest(leftover).isPresent()) {
      assertTrue("the leftover is still stored after 30 s", System.nanoTime() < deadline);
      Thread.sleep(20);
    }
    for (String location : named) {
      CheckpointKey key = new CheckpointKey(location.substring(0, location.indexOf('/')),
          location.substring(location.indexOf('/') + 1));
      assertTrue(location, a.host.stable.manifest(key).isPresent());
      assertTrue(location, a.host.staging.manifest(key).isPresent());
    }
  }

  /**
   * A VM whose group was deleted may join another: its checkpoints there must not collide with the old ones in
   * the host's staging store (in a CloudStack management server, enabling the second group failed with
   * "checkpoint ... already exists").
   */
  @Test
  public void aVmInASecondGroupCheckpointsBesideItsFirstGroupsCheckpoints() throws Exception {
    a.driver.start(VM0, 64, 0.75, 1);
    a.driver.start(VM1, 64, 0.75, 2);
    assertTrue(a.run(new VmqscDeployGroupCommandWrapper(), deploy("host-a", List.of(0, 1))).getResult());
    clock.advance(1000);
    List<Report> first = tickUntilStable(a, 1, 2);
    String second = "6f1c2a4e-0000-4000-8000-0000000000a2";
    VmqscAnswer deployed = a.run(new VmqscDeployGroupCommandWrapper(), deploy(second, "host-a", List.of(0, 1)));
    assertTrue(deployed.getDetails(), deployed.getResult());
    Set<String> firstLocations = first.stream().map(Report::location).filter(l -> l != null)
        .collect(java.util.stream.Collectors.toSet());
    // Its VMs' boot checkpoints run on the host's checkpoint threads: their reports come with a later tick.
    List<Report> secondReports = tickUntil(a, second, seen -> seen.stream()
        .filter(r -> r.boundary() != null && !r.stable()).count() == 2, "the second group's boot checkpoints staged");
    for (Report r : secondReports) assertFalse(r.location(), firstLocations.contains(r.location()));
  }

  /**
   * A recovery freezes its group on every host it orders, also on one the group has not reached: a VM restored
   * there before the thaw must stand still too (no boundary passed, so no checkpoint of a state about to change).
   */
  @Test
  public void aFreezeThatComesBeforeTheGroupHoldsItWhenItArrives() throws Exception {
    a.driver.start(VM0, 64, 0.75, 1);
    a.driver.start(VM1, 64, 0.75, 2);
    assertTrue(a.run(new VmqscFreezeGroupCommandWrapper(), new FreezeGroupCommand(GROUP, json(new GroupRef(GROUP))))
        .getResult());
    assertTrue(a.run(new VmqscDeployGroupCommandWrapper(), deploy("host-a", List.of(0, 1))).getResult());
    clock.advance(1000); // base boundary 1 on the host's clock
    List<Report> whileFrozen = new ArrayList<>(tick(a).batch());
    // A checkpoint the tick started would have run by now, and its report would come with the next tick.
    assertTrue(a.agent.awaitCheckpoints(Duration.ofSeconds(30)));
    whileFrozen.addAll(tick(a).batch());
    assertTrue("no boundary passes while frozen: " + whileFrozen, whileFrozen.stream()
        .noneMatch(r -> r.boundary() != null && r.boundary().index() == 1));
    assertTrue(a.run(new VmqscThawGroupCommandWrapper(), new ThawGroupCommand(GROUP, json(new GroupRef(GROUP))))
        .getResult());
    tickUntilStable(a, 1, 2);
  }

  @Test
  public void aBadOrderIsAFailedAnswerWithTheReason() {
    VmqscAnswer answer = a.run(new VmqscRestoreVmCommandWrapper(), new RestoreVmCommand(GROUP, "{not json"));
    assertFalse(answer.getResult());
    assertTrue(answer.getDetails(), answer.getDetails().contains("RestoreOrder"));
    VmqscAnswer notDeployed = a.run(new VmqscRestoreVmCommandWrapper(), new RestoreVmCommand(GROUP,
        json(new RestoreOrder(GROUP, null, "x/0-1", List.of()))));
    assertFalse(notDeployed.getResult());
    assertTrue(notDeployed.getDetails(), notDeployed.getDetails().contains("not deployed"));
  }
}
