package org.vmqsc.evaluation;

import java.util.Random;

/**
 * How long a message takes (latency plus size over bandwidth; VMs on one host talk through memory), how fast a host
 * computes (to replay traces that count flops), and how far each host's clock drifts from real time.
 */
public record TimeModel(double latencySeconds, double intraHostLatencySeconds, double bandwidthBytesPerSecond,
                        double hostFlopsPerSecond, double maxDriftPpm) {

  public static TimeModel standard() {
    return new TimeModel(50e-6, 5e-6, 125e6, 1e9, 50);
  }

  public TimeModel {
    if (latencySeconds < 0 || intraHostLatencySeconds < 0) throw new IllegalArgumentException("latency must be >= 0");
    if (bandwidthBytesPerSecond <= 0) throw new IllegalArgumentException("bandwidth must be > 0");
    if (hostFlopsPerSecond <= 0) throw new IllegalArgumentException("host speed must be > 0");
    if (maxDriftPpm < 0 || maxDriftPpm >= 1e5) throw new IllegalArgumentException("drift must be in [0, 1e5) ppm");
  }

  public double transferSeconds(long bytes, boolean sameHost) {
    return (sameHost ? intraHostLatencySeconds : latencySeconds) + bytes / bandwidthBytesPerSecond;
  }

  /** Each host's clock rate error (local = real * (1 + drift)), drawn once per scenario from the seed. */
  public double[] hostDrifts(int hosts, long seed) {
    Random r = new Random(seed ^ 0x5DEECE66DL);
    double[] d = new double[hosts];
    for (int h = 0; h < hosts; h++) d[h] = (r.nextDouble() * 2 - 1) * maxDriftPpm * 1e-6;
    return d;
  }
}
