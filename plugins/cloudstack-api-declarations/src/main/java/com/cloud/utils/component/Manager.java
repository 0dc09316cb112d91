package com.cloud.utils.component;

public interface Manager extends ComponentLifecycle {
}
