package com.cloud.utils.component;

public class ManagerBase extends ComponentLifecycleBase implements ComponentMethodInterceptable {
  public ManagerBase() {
    setRunLevel(ComponentLifecycle.RUN_LEVEL_COMPONENT);
  }
}
