package com.cloud.resource;

import java.util.Map;
import javax.naming.ConfigurationException;

/** The base of CloudStack's hypervisor resources: only the lifecycle methods it implements itself. */
public abstract class ServerResourceBase implements ServerResource {
  @Override public String getName() {
    throw new UnsupportedOperationException("declaration only");
  }

  @Override public boolean configure(String name, Map<String, Object> params) throws ConfigurationException {
    throw new UnsupportedOperationException("declaration only");
  }

  @Override public boolean start() {
    throw new UnsupportedOperationException("declaration only");
  }

  @Override public boolean stop() {
    throw new UnsupportedOperationException("declaration only");
  }
}
