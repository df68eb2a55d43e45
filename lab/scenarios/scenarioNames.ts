/**
 * The names of the scenarios the bench sets side by side (front doors: the HAVIP's failover and the
 * CLB's zones), here so that its pure report needs neither scenario module.
 */

/** The HAVIP scenario that cuts the master's machine off, as a CLB's "one front door down" does. */
export const LINK_DOWN = "the master's network link down, then up";

/** The CLB's zone scenarios, in the order they run. */
export const ZONE_SCENARIOS = {
  frontDoorDown: "one front door down (its link down)",
  zoneDown: "a whole zone down (every front door of the second zone, links down)",
  zoneBack: "the zone back (links up)",
};
