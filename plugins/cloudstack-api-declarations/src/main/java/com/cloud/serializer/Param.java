package com.cloud.serializer;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.FIELD})
public @interface Param {
  String name() default "";

  String propName() default "";

  String description() default "";

  Class<?> responseObject() default Object.class;

  boolean includeInApiDoc() default true;

  String since() default "";

  boolean isSensitive() default false;
}
