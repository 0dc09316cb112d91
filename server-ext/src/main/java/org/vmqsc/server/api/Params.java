package org.vmqsc.server.api;

import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.vmqsc.server.service.PageRequest;

/**
 * One request's parameters, looked up by lower-case name, with typed readers that refuse bad values with
 * CloudStack's 431 and its wording, so every command checks its input the same way.
 */
final class Params {

  /** CloudStack's default.page.size. */
  static final int DEFAULT_PAGE_SIZE = 500;

  private final String command;
  private final Map<String, String> values;

  /** @param values lower-case names to values (an empty value counts as absent, as in CloudStack) */
  Params(String command, Map<String, String> values) {
    this.command = command.toLowerCase(Locale.ROOT);
    this.values = values;
  }

  String command() {
    return command;
  }

  Optional<String> optional(String name) {
    String v = values.get(name);
    return v == null || v.isEmpty() ? Optional.empty() : Optional.of(v);
  }

  String required(String name) {
    return optional(name).orElseThrow(() -> ApiException.badParameter("Unable to execute API command " + command
        + " due to missing parameter " + name));
  }

  long requiredLong(String name, long min, long max) {
    return parseLong(name, required(name), min, max);
  }

  Optional<Long> optionalLong(String name, long min, long max) {
    return optional(name).map(v -> parseLong(name, v, min, max));
  }

  Optional<Boolean> optionalBoolean(String name) {
    return optional(name).map(v -> {
      if (v.equalsIgnoreCase("true")) return true;
      if (v.equalsIgnoreCase("false")) return false;
      throw invalid(name, v, "true or false");
    });
  }

  /** Enum values are accepted in any case ("manual", "MANUAL"). */
  <E extends Enum<E>> Optional<E> optionalEnum(String name, Class<E> type) {
    return optional(name).map(v -> {
      try {
        return Enum.valueOf(type, v.toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException e) {
        StringBuilder allowed = new StringBuilder();
        for (E c : type.getEnumConstants()) allowed.append(allowed.length() == 0 ? "" : ", ").append(c.name());
        throw invalid(name, v, "one of " + allowed);
      }
    });
  }

  /** CloudStack's page (from 1) and pagesize (default 500), here at most {@link PageRequest#MAX_LIMIT}. */
  PageRequest page() {
    long page = optionalLong("page", 1, Integer.MAX_VALUE).orElse(1L);
    long size = optionalLong("pagesize", 1, PageRequest.MAX_LIMIT).orElse((long) DEFAULT_PAGE_SIZE);
    long offset = (page - 1) * size;
    if (offset > Integer.MAX_VALUE) throw invalid("page", Long.toString(page), "a page within reach of pagesize");
    return new PageRequest((int) offset, (int) size);
  }

  private long parseLong(String name, String v, long min, long max) {
    long n;
    try {
      n = Long.parseLong(v);
    } catch (NumberFormatException e) {
      throw invalid(name, v, "a whole number");
    }
    if (n < min || n > max) throw invalid(name, v, "between " + min + " and " + max);
    return n;
  }

  private ApiException invalid(String name, String value, String expected) {
    String shown = value.length() > 64 ? value.substring(0, 64) + "..." : value;
    return ApiException.badParameter("Unable to execute API command " + command + " due to invalid value "
        + shown + " for parameter " + name + ": expected " + expected);
  }
}
