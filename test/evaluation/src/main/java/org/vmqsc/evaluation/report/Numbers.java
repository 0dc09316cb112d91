package org.vmqsc.evaluation.report;

import java.math.BigDecimal;
import java.math.MathContext;

/** One way to print a figure everywhere, independent of locale, so equal runs give equal bytes. */
public final class Numbers {
  private Numbers() {}

  /** Whole numbers as they are, others to 6 significant digits, never in exponent form. */
  public static String format(double v) {
    if (Double.isNaN(v) || Double.isInfinite(v)) return Double.toString(v);
    if (v == Math.rint(v) && Math.abs(v) < 1e15) return Long.toString((long) v);
    return new BigDecimal(v).round(new MathContext(6)).stripTrailingZeros().toPlainString();
  }

  /** For tables read by people: fewer digits. */
  public static String readable(double v) {
    if (v == Math.rint(v) && Math.abs(v) < 1e15) return Long.toString((long) v);
    double a = Math.abs(v);
    int digits = a >= 100 ? 0 : a >= 1 ? 2 : 3;
    return new BigDecimal(v).setScale(digits, java.math.RoundingMode.HALF_EVEN).toPlainString();
  }
}
