package org.apache.cloudstack.framework.config;

public interface Configurable {
  String getConfigComponentName();

  ConfigKey<?>[] getConfigKeys();
}
