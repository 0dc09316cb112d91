package com.cloud.utils.component;

public class AdapterBase extends ComponentLifecycleBase implements Adapter, ComponentMethodInterceptable {
}
