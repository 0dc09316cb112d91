package org.vmqsc.agent.xen;

import com.xensource.xenapi.VM;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/** Finds a VM by its {@code name_label}, as CloudStack names them; its snapshots and templates share the name. */
final class XapiVms {

  private XapiVms() {}

  static VM byName(XapiSession xapi, String name) throws IOException {
    List<VM> found = new ArrayList<>();
    for (VM candidate : xapi.call("the VMs named " + name, c -> VM.getByNameLabel(c, name))) {
      boolean snapshot = xapi.call("whether " + name + " is a snapshot", candidate::getIsASnapshot);
      boolean template = xapi.call("whether " + name + " is a template", candidate::getIsATemplate);
      if (!snapshot && !template) {
        found.add(candidate);
      }
    }
    if (found.size() != 1) {
      throw new IOException(found.isEmpty() ? "no XAPI VM named " + name
          : found.size() + " XAPI VMs are named " + name + "; the driver needs exactly one");
    }
    return found.get(0);
  }
}
