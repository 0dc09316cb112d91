package org.vmqsc.agent.kvm;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.libvirt.Domain;

/**
 * How many frames a guest has put in its virtio-net transmit rings that QEMU has not taken yet: the guest sent them
 * (its {@code sendto} returned), and they leave the NIC only when QEMU next serves the ring, after a pause has ended.
 * Read through QMP ({@code x-query-virtio}, {@code x-query-virtio-queue-status} and
 * {@code x-query-virtio-queue-element}, QEMU 7.2; experimental commands, so any failure reads as "unknown").
 *
 * <p>Per ring: the guest's {@code avail.idx} (read from guest memory) less QEMU's {@code last_avail_idx}, modulo
 * 2^16, plus the frames QEMU has taken but not handed on ({@code inuse}: while the VM is stopped QEMU's network
 * layer queues what the device sends; a checkpoint then holds it neither in the ring nor anywhere). Queue 1 of a
 * single-queue virtio-net device is its transmit queue.
 */
final class TransmitRings {

  private static final int TX_QUEUE = 1;
  /** Unknown: the commands are missing, the ring is not set up yet (no driver), or the device is not a split ring. */
  static final int UNKNOWN = -1;

  private TransmitRings() {}

  /** The QOM paths of the domain's virtio-net devices (their {@code virtio-backend}). */
  static List<String> netDevices(Domain domain) throws IOException {
    JsonArray devices = Qmp.executeForArray(domain, "x-query-virtio", null);
    List<String> paths = new ArrayList<>();
    for (JsonElement e : devices) {
      JsonObject device = e.getAsJsonObject();
      if ("virtio-net".equals(device.get("name").getAsString())) paths.add(device.get("path").getAsString());
    }
    return paths;
  }

  /** Frames waiting in the transmit rings of {@code devices}, or {@link #UNKNOWN}. */
  static int pending(Domain domain, List<String> devices) {
    return pending(Monitor.through(domain), devices);
  }

  /** The same, through {@code monitor} (its commands sent together: one round trip on QEMU's own monitor). */
  static int pending(Monitor monitor, List<String> devices) {
    return pending(monitor.executeAll(queries(devices)));
  }

  /** The questions {@link #pending(List)} counts from, for a caller that sends them with other commands. */
  static List<Monitor.Command> queries(List<String> devices) {
    List<Monitor.Command> queries = new ArrayList<>();
    for (String path : devices) {
      JsonObject queue = new JsonObject();
      queue.addProperty("path", path);
      queue.addProperty("queue", TX_QUEUE);
      queries.add(new Monitor.Command("x-query-virtio-queue-status", queue));
      queries.add(new Monitor.Command("x-query-virtio-queue-element", queue));
    }
    return queries;
  }

  /** Frames waiting, from the replies to {@link #queries}, in their order; {@link #UNKNOWN} if any failed. */
  static int pending(List<Monitor.Reply> replies) {
    int pending = 0;
    try {
      for (int i = 0; i < replies.size(); i += 2) {
        JsonObject status = replies.get(i).get();
        int lastAvail = status.get("last-avail-idx").getAsInt();
        int availIdx = replies.get(i + 1).get().getAsJsonObject("avail").get("idx").getAsInt();
        // Not taken yet, plus taken but not yet handed to the backend: QEMU hands no frame on while the VM is
        // stopped, and holds the one it took (in use) until it runs again.
        pending += ((availIdx - lastAvail) & 0xFFFF) + status.get("inuse").getAsInt();
      }
    } catch (IOException | RuntimeException e) {
      return UNKNOWN;
    }
    return pending;
  }
}
