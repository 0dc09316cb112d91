package com.cloud.utils.component;

public interface ComponentMethodInterceptable {
}
