package com.cloud.utils.db;

import java.io.Serializable;

/** Only the methods this plugin calls. */
public interface EntityManager {
  <T, K extends Serializable> T findById(Class<T> entityType, K id);

  <T> T findByUuid(Class<T> entityType, String uuid);
}
