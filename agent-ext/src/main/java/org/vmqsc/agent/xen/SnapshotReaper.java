package org.vmqsc.agent.xen;

import com.xensource.xenapi.Types;
import com.xensource.xenapi.VBD;
import com.xensource.xenapi.VDI;
import com.xensource.xenapi.VM;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Destroys the XAPI snapshots the driver makes, with every VDI they own: the suspend image and the disk snapshots
 * ({@code VM.checkpoint} snapshots the disks too). A snapshot left behind would hold a copy of the VM's memory and
 * disks on the SR, so one whose destruction failed (the master unreachable, a VDI busy) is remembered and tried
 * again before the driver's next operation; snapshots named with the driver's prefix that a crash left behind are
 * found through the VM's list of snapshots.
 */
final class SnapshotReaper {

  /** Every snapshot the driver makes is named with it; nothing else on the VM is. */
  static final String PREFIX = "vmqsc-";

  private final XapiSession xapi;
  /** Snapshots (and the VDIs of snapshots already gone) still to destroy, by reference. */
  private final Set<String> pendingSnapshots = new LinkedHashSet<>();
  private final Set<String> pendingVdis = new LinkedHashSet<>();

  SnapshotReaper(XapiSession xapi) {
    this.xapi = xapi;
  }

  /** The snapshots and VDIs this reaper still has to destroy. */
  synchronized List<String> pending() {
    List<String> all = new ArrayList<>(pendingSnapshots);
    all.addAll(pendingVdis);
    return all;
  }

  /**
   * Destroys {@code snapshot} and its VDIs; what fails is remembered for {@link #sweep}.
   *
   * @throws IOException naming what is left on the pool, when something could not be destroyed
   */
  synchronized void destroy(VM snapshot) throws IOException {
    pendingSnapshots.add(snapshot.toWireString());
    retryPending();
  }

  /**
   * Destroys what earlier failures left, and the snapshots of {@code vm} that carry the driver's prefix (a
   * checkpoint task that failed after XAPI made its snapshot, or an agent that died between the two).
   */
  synchronized void sweep(VM vm) throws IOException {
    for (VM snapshot : xapi.call("the snapshots of " + vm.toWireString(), vm::getSnapshots)) {
      String name = xapi.call("the name of snapshot " + snapshot.toWireString(), snapshot::getNameLabel);
      if (name.startsWith(PREFIX)) {
        pendingSnapshots.add(snapshot.toWireString());
      }
    }
    retryPending();
  }

  /** Tries every pending destruction once. */
  synchronized void retryPending() throws IOException {
    IOException first = null;
    for (String ref : new ArrayList<>(pendingSnapshots)) {
      try {
        destroySnapshot(Types.toVM(ref));
        pendingSnapshots.remove(ref);
      } catch (IOException e) {
        first = keep(first, e);
      }
    }
    for (String ref : new ArrayList<>(pendingVdis)) {
      try {
        destroyVdi(ref);
        pendingVdis.remove(ref);
      } catch (IOException e) {
        first = keep(first, e);
      }
    }
    if (first != null) {
      throw new IOException("XAPI snapshots or VDIs left on the pool, to be destroyed at the next try: "
          + pending() + " (" + first.getMessage() + ")", first);
    }
  }

  private void destroySnapshot(VM snapshot) throws IOException {
    String ref = snapshot.toWireString();
    List<String> vdis = new ArrayList<>();
    try {
      if (!xapi.call("whether " + ref + " is a snapshot", snapshot::getIsASnapshot)) {
        // never destroy a VM that is not a snapshot, whatever its name
        throw new IOException(ref + " is not a snapshot; it is left alone");
      }
      VDI suspend = xapi.call("the suspend VDI of " + ref, snapshot::getSuspendVDI);
      if (suspend != null && !suspend.isNull()) {
        vdis.add(suspend.toWireString());
      }
      for (VBD vbd : xapi.call("the VBDs of " + ref, snapshot::getVBDs)) {
        // CD drives point at ISO VDIs that belong to the library, not to the snapshot
        if (xapi.call("the type of " + vbd.toWireString(), vbd::getType) != Types.VbdType.DISK) {
          continue;
        }
        VDI vdi = xapi.call("the VDI of " + vbd.toWireString(), vbd::getVDI);
        if (vdi != null && !vdi.isNull()) {
          vdis.add(vdi.toWireString());
        }
      }
      xapi.call("destroying snapshot " + ref, c -> {
        snapshot.destroy(c);
        return null;
      });
    } catch (XapiException e) {
      if (isGone(e)) {
        return;
      }
      throw e;
    }
    pendingVdis.addAll(vdis);  // the snapshot record is gone; its VDIs are destroyed next, and remembered till then
  }

  private void destroyVdi(String ref) throws IOException {
    try {
      xapi.call("destroying VDI " + ref, c -> {
        Types.toVDI(ref).destroy(c);
        return null;
      });
    } catch (XapiException e) {
      if (!isGone(e)) {
        throw e;
      }
    }
  }

  /** XAPI's answer for a reference it no longer knows: destroyed already, which is what we wanted. */
  private static boolean isGone(XapiException e) {
    return e.code().equals("HANDLE_INVALID");
  }

  private static IOException keep(IOException first, IOException next) {
    if (first == null) {
      return next;
    }
    first.addSuppressed(next);
    return first;
  }
}
