package org.apache.cloudstack.api;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.apache.cloudstack.acl.RoleType;
import org.apache.cloudstack.api.BaseCmd.CommandType;

@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.FIELD})
public @interface Parameter {
  String name() default "";

  String description() default "";

  boolean required() default false;

  CommandType type() default CommandType.OBJECT;

  CommandType collectionType() default CommandType.OBJECT;

  Class<?>[] entityType() default Object.class;

  boolean expose() default true;

  boolean includeInApiDoc() default true;

  int length() default 255;

  String since() default "";

  RoleType[] authorized() default {};

  boolean acceptedOnAdminPort() default true;
}
