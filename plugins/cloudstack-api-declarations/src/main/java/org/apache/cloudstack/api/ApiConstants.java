package org.apache.cloudstack.api;

/** Only the constants this plugin uses. */
public class ApiConstants {
  public static final String ID = "id";
  public static final String NAME = "name";
  public static final String HOST_ID = "hostid";
  public static final String VIRTUAL_MACHINE_ID = "virtualmachineid";
  public static final String KEYWORD = "keyword";
  public static final String PAGE = "page";
  public static final String PAGE_SIZE = "pagesize";
  public static final String JOB_ID = "jobid";
  public static final String JOB_STATUS = "jobstatus";
  public static final String CREATED = "created";
  public static final String STATE = "state";
  public static final String COUNT = "count";
}
