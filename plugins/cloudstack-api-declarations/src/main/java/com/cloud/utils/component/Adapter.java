package com.cloud.utils.component;

public interface Adapter extends ComponentLifecycle {
}
