package com.cloud.hypervisor.kvm.resource;

import com.cloud.agent.api.Answer;
import com.cloud.agent.api.Command;
import com.cloud.resource.ServerResource;
import com.cloud.utils.component.ComponentLifecycleBase;

/** The KVM agent's resource: only its type is named by this plugin's wrappers. */
public class LibvirtComputingResource extends ComponentLifecycleBase implements ServerResource {
  @Override public Answer executeRequest(Command cmd) {
    throw new UnsupportedOperationException("declaration only");
  }
}
