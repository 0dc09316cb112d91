package org.vmqsc.server.persistence;

import jakarta.persistence.AttributeConverter;
import jakarta.persistence.Converter;
import java.util.Arrays;

/** Stores per-channel message counters (one per VM of the group) as comma-separated text. */
@Converter
public class CountersConverter implements AttributeConverter<long[], String> {

  @Override public String convertToDatabaseColumn(long[] counters) {
    if (counters == null || counters.length == 0) return "";
    // A plain loop: reports carry one counter per VM of the group, two arrays per row, many rows per batch.
    StringBuilder text = new StringBuilder(counters.length * 2);
    for (int i = 0; i < counters.length; i++) {
      if (i > 0) text.append(',');
      text.append(counters[i]);
    }
    return text.toString();
  }

  @Override public long[] convertToEntityAttribute(String text) {
    if (text == null || text.isEmpty()) {
      return new long[0];
    }
    return Arrays.stream(text.split(",")).mapToLong(Long::parseLong).toArray();
  }
}
