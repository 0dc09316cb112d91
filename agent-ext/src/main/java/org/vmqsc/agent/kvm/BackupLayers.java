package org.vmqsc.agent.kvm;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFileAttributes;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BooleanSupplier;
import org.libvirt.Domain;
import org.libvirt.LibvirtException;

/**
 * Disk states as layers that QEMU's own incremental backup writes, so that a cut holds the guest for one QMP
 * {@code transaction} only: the guest's disk files never change (libvirt's view of them stays right), and each cut
 * starts, at its instant, a {@code blockdev-backup} into a new qcow2 layer that runs while the guest runs (QEMU copies
 * a cluster out before the guest overwrites it). The first cut of a QEMU process copies the whole disk (sync
 * {@code full}) and adds a dirty bitmap in the same transaction; each later one copies the clusters the bitmap marked
 * since ({@code incremental}, cleared only if the copy succeeds) into a layer whose backing file is the previous one.
 * So a layer with everything below it is the disk as of its cut — the same chain a frozen overlay gives, which the
 * agent copies to stable storage and restores from.
 *
 * <p>A layer whose copy succeeded becomes the next one's backing file even if its checkpoint failed later (the bitmap
 * no longer holds its clusters); such a layer is copied to stable storage with the next checkpoint's.
 */
final class BackupLayers {

  /** The dirty bitmap on each cut disk's active node: what the guest wrote since the last cut's instant. */
  static final String BITMAP = "vmqsc-cut";
  private static final long JOB_TIMEOUT_NANOS = 300_000_000_000L;

  /**
   * One disk's part of a prepared cut: its active node, the new layer and the node QEMU writes it through (the copy's
   * job is named after it too).
   */
  record Layer(String target, String activeNode, Path file, String node, boolean full) {}

  /**
   * Per VM: the QEMU process (domain id) whose bitmaps hold the changes since the {@code newest} layers, by target; a
   * bitmap is on the node that was active then (an overlay put on the disk since leaves it behind).
   */
  private record Chain(int domainId, Map<String, Newest> newest) {}

  private record Newest(Path layer, String bitmapNode) {}

  private final Map<String, Chain> chains = new ConcurrentHashMap<>();

  /**
   * Creates the layers of the next cut and opens them in QEMU, while the guest runs: an incremental one on each
   * disk's newest layer from this QEMU process, a full one (and no bitmap left behind) where there is none.
   */
  List<Layer> prepare(Domain domain, String vmId, Collection<KvmDriver.DiskSource> disks, Map<String, Long> sizes)
      throws IOException {
    int domainId = domainId(domain);
    Chain chain = chains.get(vmId);
    Map<String, Newest> newest = chain != null && chain.domainId() == domainId ? chain.newest() : Map.of();
    List<Layer> layers = new ArrayList<>();
    try {
      for (KvmDriver.DiskSource disk : disks) {
        String active = Qmp.nodeOf(domain, disk.file());
        Newest last = newest.get(disk.target());
        Path previous = last != null && last.bitmapNode().equals(active) ? last.layer() : null;
        Path file = DiskChains.overlayNextTo(disk.file(), "bk");
        String node = "vmqsc-bk-" + UUID.randomUUID().toString().substring(0, 8);
        try {
          if (previous == null) {
            removeBitmapQuietly(domain, active);  // left by an earlier agent, or by a full copy that failed
            DiskChains.createEmpty(file, sizes.get(disk.target()));
          } else {
            DiskChains.createOverlay(file, previous, "qcow2", sizes.get(disk.target()));
          }
          ownedLike(file, disk.file());  // QEMU opens it itself, as the user libvirt runs it as
          JsonObject protocol = new JsonObject();
          protocol.addProperty("driver", "file");
          protocol.addProperty("filename", file.toString());
          JsonObject add = new JsonObject();
          add.addProperty("driver", "qcow2");
          add.addProperty("node-name", node);
          add.add("file", protocol);
          add.add("backing", JsonNull.INSTANCE);  // QEMU writes the layer only; its backing file is for readers
          Qmp.execute(domain, "blockdev-add", add);
        } catch (IOException | RuntimeException e) {
          Files.deleteIfExists(file);
          throw e;
        }
        layers.add(new Layer(disk.target(), active, file, node, previous == null));
      }
      return layers;
    } catch (IOException | RuntimeException e) {
      discard(domain, layers);
      throw e;
    }
  }

  /** Starts every disk's copy at this instant, in one transaction (all or none); the guest must be stopped. */
  static void start(Monitor monitor, List<Layer> layers) throws IOException {
    Monitor.Command transaction = transaction(layers);
    monitor.execute(transaction.name(), transaction.arguments());
  }

  /** The transaction {@link #start} runs, for a caller that sends it together with other commands. */
  static Monitor.Command transaction(List<Layer> layers) {
    JsonArray actions = new JsonArray();
    for (Layer layer : layers) {
      JsonObject backup = new JsonObject();
      backup.addProperty("job-id", layer.node());
      backup.addProperty("device", layer.activeNode());
      backup.addProperty("target", layer.node());
      backup.addProperty("auto-dismiss", false);  // its outcome is read before it goes
      if (layer.full()) {
        JsonObject bitmap = new JsonObject();
        bitmap.addProperty("node", layer.activeNode());
        bitmap.addProperty("name", BITMAP);
        actions.add(action("block-dirty-bitmap-add", bitmap));
        backup.addProperty("sync", "full");
      } else {
        backup.addProperty("sync", "incremental");
        backup.addProperty("bitmap", BITMAP);
        backup.addProperty("bitmap-mode", "on-success");
      }
      actions.add(action("blockdev-backup", backup));
    }
    JsonObject arguments = new JsonObject();
    arguments.add("actions", actions);
    return new Monitor.Command("transaction", arguments);
  }

  /**
   * Waits, with the guest running, until every copy started by {@link #start} has ended, and closes the layers in
   * QEMU. A layer whose copy succeeded becomes its disk's newest, whatever happened to the others; fails if any copy
   * failed (its layer is deleted) or {@code destroying} says to give up (the copies are cancelled).
   */
  void await(Domain domain, String vmId, List<Layer> layers, BooleanSupplier destroying) throws IOException {
    int domainId = domainId(domain);
    Map<String, String> errors = new HashMap<>();
    long deadline = System.nanoTime() + JOB_TIMEOUT_NANOS;
    try {
      List<Layer> running = new ArrayList<>(layers);
      PollBackoff backoff = new PollBackoff();
      while (!running.isEmpty()) {
        Map<String, JsonObject> jobs = new HashMap<>();
        for (JsonElement e : Qmp.executeForArray(domain, "query-jobs", null)) {
          jobs.put(e.getAsJsonObject().get("id").getAsString(), e.getAsJsonObject());
        }
        for (Layer layer : List.copyOf(running)) {
          JsonObject job = jobs.get(layer.node());
          if (job == null || "concluded".equals(job.get("status").getAsString())) {
            if (job == null) {
              errors.put(layer.target(), "QEMU lost the job");
            } else if (job.has("error")) {
              errors.put(layer.target(), job.get("error").getAsString());
            }
            if (job != null) dismissQuietly(domain, layer.node());
            running.remove(layer);
          }
        }
        if (running.isEmpty()) break;
        if (destroying.getAsBoolean() || System.nanoTime() > deadline) {
          for (Layer layer : running) {
            cancelQuietly(domain, layer.node());
            errors.put(layer.target(), destroying.getAsBoolean() ? "cancelled: the domain is being destroyed"
                : "cancelled: it took over " + JOB_TIMEOUT_NANOS / 1_000_000_000L + " s");
          }
          break;
        }
        backoff.await();
      }
    } finally {
      for (Layer layer : layers) deleteNodeQuietly(domain, layer.node());
    }
    Chain chain = chains.get(vmId);
    Map<String, Newest> newest =
        new HashMap<>(chain != null && chain.domainId() == domainId ? chain.newest() : Map.of());
    for (Layer layer : layers) {
      if (errors.containsKey(layer.target())) {
        Files.deleteIfExists(layer.file());
        if (layer.full()) newest.remove(layer.target());  // its bitmap counts from a copy that does not exist
      } else {
        newest.put(layer.target(), new Newest(layer.file(), layer.activeNode()));
      }
    }
    chains.put(vmId, new Chain(domainId, Map.copyOf(newest)));
    if (!errors.isEmpty()) {
      throw new IOException("the disk copy of " + vmId + " at its cut failed: " + errors);
    }
  }

  /** Drops a prepared cut that will not be used: its layers closed in QEMU (if {@code domain}) and deleted. */
  static void discard(Domain domain, List<Layer> layers) {
    for (Layer layer : layers) {
      if (domain != null) deleteNodeQuietly(domain, layer.node());
      try {
        Files.deleteIfExists(layer.file());
      } catch (IOException ignored) {
        // a leftover layer is named after its disk; the lab clears its run folder on start
      }
    }
  }

  /** Forgets a VM's layers (it was destroyed or restored: a new QEMU process starts with a full copy). */
  void forget(String vmId) {
    chains.remove(vmId);
  }

  private static JsonObject action(String type, JsonObject data) {
    JsonObject action = new JsonObject();
    action.addProperty("type", type);
    action.add("data", data);
    return action;
  }

  private static int domainId(Domain domain) throws IOException {
    try {
      return domain.getID();
    } catch (LibvirtException e) {
      throw new IOException("cannot read the id of the domain: " + e.getMessage(), e);
    }
  }

  private static void ownedLike(Path file, Path model) throws IOException {
    PosixFileAttributes owner = Files.readAttributes(model, PosixFileAttributes.class);
    PosixFileAttributeView view = Files.getFileAttributeView(file, PosixFileAttributeView.class);
    view.setOwner(owner.owner());
    view.setGroup(owner.group());
  }

  private static void removeBitmapQuietly(Domain domain, String node) {
    JsonObject arguments = new JsonObject();
    arguments.addProperty("node", node);
    arguments.addProperty("name", BITMAP);
    try {
      Qmp.execute(domain, "block-dirty-bitmap-remove", arguments);
    } catch (IOException none) {
      // no bitmap of that name: nothing to remove
    }
  }

  private static void dismissQuietly(Domain domain, String jobId) {
    quietly(domain, "job-dismiss", "id", jobId);
  }

  private static void cancelQuietly(Domain domain, String jobId) {
    quietly(domain, "job-cancel", "id", jobId);
  }

  private static void deleteNodeQuietly(Domain domain, String node) {
    if (node != null) quietly(domain, "blockdev-del", "node-name", node);
  }

  private static void quietly(Domain domain, String command, String key, String value) {
    JsonObject arguments = new JsonObject();
    arguments.addProperty(key, value);
    try {
      Qmp.execute(domain, command, arguments);
    } catch (IOException ignored) {
      // the domain is gone, or the job or node is
    }
  }
}
