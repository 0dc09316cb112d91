package org.vmqsc.protocol.host;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * The ledgers of the VMs a host runs, by VM number. The relay asks on every frame whether a VM runs here, so they
 * sit in an array the size of the group; iteration is in VM order, as with a sorted map.
 */
final class Ledgers {

  private final VmLedger[] byVm;

  Ledgers(int groupSize) {
    byVm = new VmLedger[groupSize];
  }

  VmLedger get(int vm) {
    return vm < 0 || vm >= byVm.length ? null : byVm[vm];
  }

  boolean containsKey(int vm) {
    return get(vm) != null;
  }

  void put(int vm, VmLedger ledger) {
    if (vm < 0 || vm >= byVm.length) {
      throw new IllegalArgumentException("VM " + vm + " is not in the group (VMs 0 to " + (byVm.length - 1) + ")");
    }
    byVm[vm] = ledger;
  }

  VmLedger remove(int vm) {
    VmLedger was = get(vm);
    if (was != null) byVm[vm] = null;
    return was;
  }

  /** The ledgers in VM order. */
  List<VmLedger> values() {
    List<VmLedger> out = new ArrayList<>();
    for (VmLedger v : byVm) if (v != null) out.add(v);
    return out;
  }

  /** The VMs that run here, in order. */
  SortedSet<Integer> keySet() {
    SortedSet<Integer> out = new TreeSet<>();
    for (int vm = 0; vm < byVm.length; vm++) if (byVm[vm] != null) out.add(vm);
    return Collections.unmodifiableSortedSet(out);
  }
}
