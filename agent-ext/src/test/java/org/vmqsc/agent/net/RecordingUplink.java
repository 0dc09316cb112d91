package org.vmqsc.agent.net;

import static org.vmqsc.agent.net.NamespaceGuests.etherType;
import static org.vmqsc.agent.net.NamespaceGuests.isUdp;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * The relay as the bridge tests stand in for it: a runtime thread for a group's {@link GuestNics}, and an uplink
 * that records each frame handed on (from, to, frame) and, while {@link #forward} holds, delivers it to its
 * receiver.
 */
final class RecordingUplink implements GuestNics.Uplink, AutoCloseable {

  record Handed(int from, int to, byte[] frame) {
    @Override public String toString() {
      return from + "->" + to + ":" + Integer.toHexString(etherType(frame)) + "/" + frame.length;
    }
  }

  final ExecutorService runtime = Executors.newSingleThreadExecutor();
  volatile boolean forward = true;
  private final List<Handed> handed = new ArrayList<>(); // runtime thread only
  private GuestNics nics;

  /** The group's NICs, on this uplink and its runtime. */
  GuestNics serve(String group, java.util.Map<Integer, Long> macs) throws java.io.IOException {
    nics = new GuestNics(group, macs, runtime, this);
    return nics;
  }

  @Override public void fromGuest(int from, int to, byte[] frame) {
    handed.add(new Handed(from, to, frame));
    if (forward) nics.toGuest(to, frame);
  }

  /** What was handed on so far. */
  List<Handed> handed() throws Exception {
    return runtime.submit(() -> List.copyOf(handed)).get();
  }

  /**
   * Has guest {@code sender} send {@code n} numbered UDP datagrams to {@code toAddress} and cuts VM {@code vm}, both
   * on the runtime thread, which stays busy meanwhile (as a paused guest, the sender sends nothing after): the
   * readers' hand-ons wait behind this task, so only the cut can hand the datagrams on. Returns the numbers of the
   * datagrams from {@code vm} to {@code receiver} handed on by the time the cut returned, in order.
   */
  List<String> numbersHandedByACut(NamespaceGuests guests, int sender, int vm, int receiver, String toAddress, int n)
      throws Exception {
    List<Handed> atCut = runtime.submit(() -> {
      guests.in(sender, "bash", "-c", "for i in $(seq 1 " + n + "); do echo $i > /dev/udp/" + toAddress + "/9; done");
      nics.cut(vm);
      return List.copyOf(handed);
    }).get(30, TimeUnit.SECONDS);
    return atCut.stream().filter(h -> h.from() == vm && h.to() == receiver && isUdp(h.frame()))
        .map(h -> new String(h.frame(), 14 + 20 + 8, h.frame().length - 14 - 20 - 8, StandardCharsets.US_ASCII).trim())
        .toList();
  }

  @Override public void close() {
    if (nics != null) nics.close();
    runtime.shutdownNow();
  }
}
