package com.cloud.ha;

import com.cloud.host.Host;
import com.cloud.utils.component.Adapter;
import com.cloud.vm.VirtualMachine;

public interface FenceBuilder extends Adapter {
  /** @return true: fenced; false: could not fence; null: this fencer does not handle it */
  Boolean fenceOff(VirtualMachine vm, Host host);
}
