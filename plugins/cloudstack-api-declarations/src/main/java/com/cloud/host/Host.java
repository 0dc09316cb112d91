package com.cloud.host;

import com.cloud.utils.fsm.StateObject;
import com.cloud.hypervisor.Hypervisor.HypervisorType;
import org.apache.cloudstack.api.Identity;
import org.apache.cloudstack.api.InternalIdentity;

/** Only the methods this plugin calls. */
public interface Host extends StateObject<Status>, Identity, InternalIdentity {
  String getName();

  Status getStatus();

  Long getClusterId();

  Long getPodId();

  long getDataCenterId();

  HypervisorType getHypervisorType();

  String getPrivateIpAddress();
}
