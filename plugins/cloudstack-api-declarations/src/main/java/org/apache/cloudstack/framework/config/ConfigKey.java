package org.apache.cloudstack.framework.config;

/**
 * The constructor and readers this plugin uses. Reading a value needs CloudStack's ConfigDepot, which a
 * declaration does not have: the default value is returned, so code under test sees each key's default.
 */
public class ConfigKey<T> {

  public enum Scope {
    Global, Zone, Cluster, StoragePool, Account, ManagementServer, ImageStore, Domain
  }

  public enum Kind {
    CSV, Order, Select, WhitespaceSeparatedListWithOptions
  }

  private final String category;
  private final Class<T> type;
  private final String name;
  private final String defaultValue;
  private final String description;
  private final boolean isDynamic;
  private final Scope scope;

  public ConfigKey(String category, Class<T> type, String name, String defaultValue, String description,
                   boolean isDynamic, Scope scope) {
    this.category = category;
    this.type = type;
    this.name = name;
    this.defaultValue = defaultValue;
    this.description = description;
    this.isDynamic = isDynamic;
    this.scope = scope;
  }

  public ConfigKey(String category, Class<T> type, String name, String defaultValue, String description,
                   boolean isDynamic) {
    this(category, type, name, defaultValue, description, isDynamic, Scope.Global);
  }

  public String category() {
    return category;
  }

  public Class<T> type() {
    return type;
  }

  public final String key() {
    return name;
  }

  public String defaultValue() {
    return defaultValue;
  }

  public String description() {
    return description;
  }

  public java.util.List<Scope> getScopes() {
    return java.util.List.of(scope);
  }

  public boolean isDynamic() {
    return isDynamic;
  }

  public T value() {
    return parse(defaultValue);
  }

  public T valueIn(Long id) {
    return value();
  }

  @SuppressWarnings("unchecked")
  private T parse(String text) {
    if (text == null) return null;
    if (type == String.class) return (T) text;
    if (type == Boolean.class) return (T) Boolean.valueOf(text);
    if (type == Integer.class) return (T) Integer.valueOf(text);
    if (type == Long.class) return (T) Long.valueOf(text);
    if (type == Double.class) return (T) Double.valueOf(text);
    throw new UnsupportedOperationException("declaration only: " + type);
  }
}
