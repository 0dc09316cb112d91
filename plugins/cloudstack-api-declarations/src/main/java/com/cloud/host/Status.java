package com.cloud.host;

public enum Status {
  Creating, Connecting, Up, Down, Disconnected, Updating, PrepareForMaintenance, ErrorInMaintenance, Maintenance,
  Alert, Removed, Error, Rebalancing, Unknown
}
