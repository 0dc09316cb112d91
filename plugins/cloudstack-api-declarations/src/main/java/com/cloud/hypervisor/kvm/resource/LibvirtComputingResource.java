package com.cloud.hypervisor.kvm.resource;

import com.cloud.agent.api.Answer;
import com.cloud.agent.api.Command;
import com.cloud.resource.ServerResource;
import com.cloud.resource.ServerResourceBase;
import java.util.Map;

/**
 * The KVM agent's resource: only its type is named by this plugin's wrappers. Declared with the lifecycle methods it
 * implements beyond {@link ServerResourceBase} (it also implements VirtualRouterDeployer and ResourceStatusUpdater,
 * which this plugin does not name).
 */
public class LibvirtComputingResource extends ServerResourceBase implements ServerResource {
  @Override public Answer executeRequest(Command cmd) {
    throw new UnsupportedOperationException("declaration only");
  }

  @Override public void setName(String name) {
    throw new UnsupportedOperationException("declaration only");
  }

  @Override public void setConfigParams(Map<String, Object> params) {
    throw new UnsupportedOperationException("declaration only");
  }

  @Override public Map<String, Object> getConfigParams() {
    throw new UnsupportedOperationException("declaration only");
  }

  @Override public int getRunLevel() {
    throw new UnsupportedOperationException("declaration only");
  }

  @Override public void setRunLevel(int level) {
    throw new UnsupportedOperationException("declaration only");
  }
}
