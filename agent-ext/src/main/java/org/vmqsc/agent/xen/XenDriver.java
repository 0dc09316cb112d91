package org.vmqsc.agent.xen;

import com.xensource.xenapi.Host;
import com.xensource.xenapi.Types;
import com.xensource.xenapi.VDI;
import com.xensource.xenapi.VM;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.vmqsc.agent.driver.Capture;
import org.vmqsc.agent.driver.CaptureMode;
import org.vmqsc.agent.driver.HypervisorDriver;
import org.vmqsc.agent.driver.ImageConsumer;

/**
 * Xen (XenServer, XCP-ng) through XAPI, for the VMs of one host of a pool. VMs are named by their XAPI
 * {@code name_label}, as CloudStack names them ({@code i-2-34-VM}).
 *
 * <p>Checkpoint: {@code VM.checkpoint} makes a snapshot whose suspend VDI holds the guest's memory; that VDI is
 * exported raw over the master's HTTP handler and streamed to the consumer (the checkpoint engine), checked to be
 * exactly the VDI's size, and the XAPI snapshot is destroyed with all its VDIs whatever happened, so the SR does not
 * fill with copies of memory and disks. The guest's pause is XAPI's own span of the checkpoint task (created to
 * finished): XAPI suspends the guest for the checkpoint (memory written to the SR, disks snapshotted) and resumes
 * it after, so it does not run in between.
 *
 * <p>Restore: a fresh checkpoint of the VM serves as the shell (a halted VM is started first, a paused one
 * unpaused: XAPI writes a suspend image only for a running VM); the verified image is imported into the shell's
 * suspend VDI; the VM is shut down, reverted to the shell (suspended, with a copy of the image) and resumed on this
 * driver's host. The disks are then those of the moment of the shell, which is now: checkpoints are memory-only,
 * as on KVM.
 *
 * <p>A checkpoint at the caller's instant ({@link #pause}, then {@link #checkpointPaused}), which the relay needs to
 * take every frame a guest sent before its index moves: XAPI cannot checkpoint the memory of a paused VM (xapi's
 * {@code Xapi_vm_snapshot.checkpoint} suspends only a running VM; of a paused one it snapshots the disks alone), but
 * it checkpoints a suspended one by copying its suspend image without running it. So {@code pause} is
 * {@code VM.suspend} (the guest stops and its domain ends: every frame it sent is out once the task returns), and
 * {@code checkpointPaused} is {@code VM.checkpoint} of the suspended VM, then {@code VM.resume_on} this host, then
 * the export. The guest stands still from the suspend to the resume, as inside XAPI's own checkpoint of a running
 * VM (suspend, snapshot, resume); its pause is measured by the driver from submitting the suspend to the resume's
 * end.
 */
public final class XenDriver implements HypervisorDriver {

  private final XapiSession xapi;
  private final String hostUuid;
  private final XapiTasks tasks;
  private final VdiTransfer transfer;
  private final SnapshotReaper reaper;
  /** Per VM suspended by {@link #pause}, when the suspend was submitted ({@link System#nanoTime}). */
  private final java.util.Map<String, Long> suspendedAt = new java.util.concurrent.ConcurrentHashMap<>();

  /**
   * @param hostUuid the XAPI uuid of the pool host whose VMs this driver restores: they resume there
   * @param taskDeadline how long one XAPI task may take before it is cancelled
   */
  public XenDriver(XapiSession xapi, String hostUuid, Duration taskDeadline) {
    this.xapi = xapi;
    this.hostUuid = hostUuid;
    this.tasks = new XapiTasks(xapi, taskDeadline);
    this.transfer = new VdiTransfer(xapi, (int) Math.min(Integer.MAX_VALUE, taskDeadline.toMillis()));
    this.reaper = new SnapshotReaper(xapi);
  }

  @Override public String name() {
    return "xen";
  }

  /** Snapshots and VDIs an earlier failure left on the pool, still to be destroyed. */
  public List<String> leftovers() {
    return reaper.pending();
  }

  @Override public Capture checkpoint(String vmId, ImageConsumer consumer) throws IOException {
    VM vm = vm(vmId);
    Types.VmPowerState state = xapi.call("the power state of " + vmId, vm::getPowerState);
    if (state != Types.VmPowerState.RUNNING) {
      // XAPI suspends only a running VM into the checkpoint; of a paused or halted one it keeps no memory
      throw new IOException(vmId + " is " + state.toString().toLowerCase() + ", not running: no live checkpoint");
    }
    sweepQuietly(vm);
    long submitted = System.nanoTime();
    Snapshot snapshot = takeCheckpoint(vm, vmId, SnapshotReaper.PREFIX + UUID.randomUUID());
    Duration observed = Duration.ofNanos(System.nanoTime() - submitted);
    return export(vmId, snapshot, new Capture(CaptureMode.XAPI_CHECKPOINT, snapshot.pause(observed), null), consumer);
  }

  /** Suspends the running guest: the state {@link #checkpointPaused} captures (see the class comment). */
  @Override public void pause(String vmId) throws IOException {
    VM vm = vm(vmId);
    Types.VmPowerState state = xapi.call("the power state of " + vmId, vm::getPowerState);
    if (state != Types.VmPowerState.RUNNING) {
      throw new IOException(vmId + " is " + state.toString().toLowerCase() + ", not running: nothing to cut");
    }
    long submitted = System.nanoTime();
    tasks.run("suspending " + vmId + " for its checkpoint", c -> vm.suspendAsync(c));
    suspendedAt.put(vmId, submitted);
  }

  /** Resumes a guest {@link #pause} suspended, on this driver's host, when no checkpoint follows after all. */
  @Override public void resume(String vmId) throws IOException {
    VM vm = vm(vmId);
    Host host = xapi.call("host " + hostUuid, c -> Host.getByUuid(c, hostUuid));
    tasks.run("resuming " + vmId + " on host " + hostUuid, c -> vm.resumeOnAsync(c, host, false, false));
    suspendedAt.remove(vmId);
  }

  /**
   * Checkpoints the guest {@link #pause} suspended, resumes it, then exports the image (see the class comment). The
   * guest is resumed whether the snapshot was made or not; {@code running} is called once it runs.
   */
  @Override public Capture checkpointPaused(String vmId, Runnable running, ImageConsumer consumer) throws IOException {
    Long submitted = suspendedAt.get(vmId);
    if (submitted == null) throw new IllegalStateException(vmId + " was not suspended by this driver for a cut");
    VM vm = vm(vmId);
    Snapshot snapshot;
    try {
      sweepQuietly(vm);
      snapshot = takeCheckpoint(vm, vmId, SnapshotReaper.PREFIX + UUID.randomUUID());
    } catch (IOException | RuntimeException e) {
      try {
        resume(vmId);
        running.run();
      } catch (IOException notResumed) {
        e.addSuppressed(notResumed);
      }
      throw e;
    }
    try {
      resume(vmId);
    } catch (IOException notResumed) {
      destroy(snapshot.vm(), notResumed);
      throw new IOException(vmId + " was checkpointed but not resumed: " + notResumed.getMessage(), notResumed);
    }
    running.run();
    Duration pause = Duration.ofNanos(System.nanoTime() - submitted);
    return export(vmId, snapshot, new Capture(CaptureMode.XAPI_CHECKPOINT, pause, null), consumer);
  }

  /** Streams a snapshot's suspend image to the consumer, then destroys the snapshot whatever happened. */
  private Capture export(String vmId, Snapshot snapshot, Capture capture, ImageConsumer consumer) throws IOException {
    IOException failure = null;
    try {
      VDI suspend = suspendVdi(snapshot.vm(), vmId);
      long size = xapi.call("the size of " + vmId + "'s suspend VDI", suspend::getVirtualSize);
      try (InputStream image = transfer.export(suspend.toWireString(), size,
          "the export of " + vmId + "'s memory image")) {
        consumer.accept(image, capture);
      }
      return capture;
    } catch (IOException | RuntimeException e) {
      failure = e instanceof IOException io ? io : new IOException(e.toString(), e);
      throw failure;
    } finally {
      destroy(snapshot.vm(), failure);
    }
  }

  /** A snapshot {@code VM.checkpoint} made, and how long XAPI's task for it took by XAPI's clock. */
  private record Snapshot(VM vm, Duration taskSpan) {

    /**
     * The guest's pause: XAPI's span of the task. XAPI's XML-RPC timestamps are whole seconds, so a checkpoint
     * shorter than one reads as 0 s or 1 s; a span of zero is replaced by the driver's own bound, from submitting
     * the task to seeing it done.
     */
    Duration pause(Duration observed) {
      return taskSpan.isZero() || taskSpan.isNegative() ? observed : taskSpan;
    }
  }

  /** Runs {@code VM.checkpoint}; a failed task's snapshot, if XAPI made one, is destroyed. */
  private Snapshot takeCheckpoint(VM vm, String vmId, String label) throws IOException {
    TaskOutcome outcome;
    try {
      outcome = tasks.run("VM.checkpoint of " + vmId, c -> vm.checkpointAsync(c, label));
    } catch (IOException failed) {
      try {
        reaper.sweep(vm);
      } catch (IOException sweep) {
        failed.addSuppressed(sweep);
      }
      throw failed;
    }
    return new Snapshot(Types.toVM(outcome.resultReference()), outcome.span());
  }

  private VDI suspendVdi(VM snapshot, String vmId) throws IOException {
    VDI suspend = xapi.call("the suspend VDI of " + vmId + "'s checkpoint", snapshot::getSuspendVDI);
    if (suspend == null || suspend.isNull()) {
      throw new IOException("XAPI made a checkpoint of " + vmId + " without a suspend VDI (no memory image)");
    }
    return suspend;
  }

  @Override public void restore(String vmId, Path verifiedImage) throws IOException {
    VM vm = vm(vmId);
    Host host = xapi.call("host " + hostUuid, c -> Host.getByUuid(c, hostUuid));
    sweepQuietly(vm);
    long imageBytes = Files.size(verifiedImage);
    // XAPI writes a suspend image only when it checkpoints a running VM (a suspended one keeps its own).
    Types.VmPowerState state = xapi.call("the power state of " + vmId, vm::getPowerState);
    if (state == Types.VmPowerState.HALTED) {
      tasks.run("starting " + vmId + " on host " + hostUuid, c -> vm.startOnAsync(c, host, false, false));
    } else if (state == Types.VmPowerState.PAUSED) {
      tasks.run("unpausing " + vmId, c -> vm.unpauseAsync(c));
    }
    VM shell = takeCheckpoint(vm, vmId, SnapshotReaper.PREFIX + "restore-" + UUID.randomUUID()).vm();
    IOException failure = null;
    try {
      VDI suspend = suspendVdi(shell, vmId);
      long room = xapi.call("the size of " + vmId + "'s suspend VDI", suspend::getVirtualSize);
      if (imageBytes > room) {
        throw new IOException("the image of " + verifiedImage.getFileName() + " (" + imageBytes + " bytes) does not "
            + "fit " + vmId + "'s suspend VDI (" + room + " bytes): the VM has less memory than when it was taken");
      }
      transfer.importInto(suspend.toWireString(), verifiedImage, "the import of " + vmId + "'s memory image");
      // Only now is the running instance given up: everything that could fail without stopping it has run.
      tasks.run("hard shutdown of " + vmId, c -> vm.hardShutdownAsync(c));
      tasks.run("revert of " + vmId + " to its memory image", c -> shell.revertAsync(c));
      tasks.run("resuming " + vmId + " on host " + hostUuid, c -> vm.resumeOnAsync(c, host, false, false));
    } catch (IOException | RuntimeException e) {
      failure = e instanceof IOException io ? io : new IOException(e.toString(), e);
      throw new IOException("restore of " + vmId + " from " + verifiedImage.getFileName() + " failed: "
          + failure.getMessage(), failure);
    } finally {
      destroy(shell, failure);
    }
  }

  /** XAPI has no dirty-page rate for a guest; the driver says so instead of guessing. */
  @Override public double dirtyRateMiBPerSecond(String vmId, Duration sample) throws IOException {
    throw new IOException("XAPI reports no dirty-page rate for " + vmId + "; the Xen driver cannot sample one");
  }

  private VM vm(String vmId) throws IOException {
    return XapiVms.byName(xapi, vmId);
  }

  /**
   * Destroys a snapshot. If that fails, the reaper keeps it for the next try ({@link #leftovers}); a failed
   * operation carries the reason, a successful one stays successful (its image is stored, or its VM runs).
   */
  private void destroy(VM snapshot, IOException failure) {
    try {
      reaper.destroy(snapshot);
    } catch (IOException left) {
      if (failure != null) {
        failure.addSuppressed(left);
      }
    }
  }

  /** Leftovers of earlier failures; the operation goes on if they still cannot be destroyed. */
  private void sweepQuietly(VM vm) {
    try {
      reaper.sweep(vm);
    } catch (IOException stillThere) {
      // still pending: the reaper keeps them, and the operation at hand does not depend on them
    }
  }

  @Override public void close() {
    try {
      reaper.retryPending();
    } catch (IOException stillThere) {
      // logged by the caller through leftovers(); nothing more can be done without the master
    } finally {
      xapi.close();
    }
  }
}
