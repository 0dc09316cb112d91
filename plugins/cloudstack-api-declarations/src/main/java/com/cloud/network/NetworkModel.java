package com.cloud.network;

import com.cloud.vm.Nic;

/** Only the method this plugin calls. */
public interface NetworkModel {
  Nic getNicInNetwork(long vmId, long networkId);
}
