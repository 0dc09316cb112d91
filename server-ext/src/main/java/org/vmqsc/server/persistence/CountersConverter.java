package org.vmqsc.server.persistence;

import jakarta.persistence.AttributeConverter;
import jakarta.persistence.Converter;
import java.util.Arrays;
import java.util.stream.Collectors;

/** Stores per-channel message counters (one per VM of the group) as comma-separated text. */
@Converter
public class CountersConverter implements AttributeConverter<long[], String> {

  @Override public String convertToDatabaseColumn(long[] counters) {
    return counters == null ? "" : Arrays.stream(counters).mapToObj(Long::toString).collect(Collectors.joining(","));
  }

  @Override public long[] convertToEntityAttribute(String text) {
    if (text == null || text.isEmpty()) {
      return new long[0];
    }
    return Arrays.stream(text.split(",")).mapToLong(Long::parseLong).toArray();
  }
}
