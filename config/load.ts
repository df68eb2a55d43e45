import { checkConfig } from "./checks";
import { DeclaredKey, readDeclaredKeys } from "./declaredKeys";
import { parseNodes, parseSites, parseVips, parseZones } from "./lists";
import { ConfigError, Problems } from "./problems";
import { RawValues, readRawValues } from "./rawValues";
import { ConfigSource } from "./source";
import { AlertFormat, FRONT_DOOR_KINDS, FrontDoorKind, IamHaConfig, OsFamily, SshVia, SYSTEM_DISK_TYPES, SystemDiskType } from "./types";

/**
 * The one config loader: reads and validates the whole stack configuration and returns it typed,
 * or throws a ConfigError that lists every problem with its key and fix. Call it before
 * registering any resource, so bad input never leaves a half-made stack. The zone is checked
 * against the source's tencentcloud:region, the region the provider creates everything in.
 */
export function loadConfig(source: ConfigSource, declared: DeclaredKey[] = readDeclaredKeys()): IamHaConfig {
  const problems = new Problems();
  const raw = readRawValues(source, declared, problems);
  const setKeys = declared.map((k) => k.name).filter((k) => source.get(k) !== undefined);
  const config = buildConfig(raw, setKeys, problems);
  if (problems.empty) checkConfig(config, source.namespaced("tencentcloud:region"), problems);
  if (!problems.empty) throw new ConfigError(problems.lines);
  return config;
}

function buildConfig(raw: RawValues, setKeys: string[], problems: Problems): IamHaConfig {
  const str = (key: string) => (raw[key] as string | undefined) ?? "";
  const int = (key: string) => (raw[key] as number | undefined) ?? 0;
  const nodes = parseNodes(raw.nodes, problems);
  return {
    frontDoor: oneOf<FrontDoorKind>("frontDoor", str("frontDoor"), FRONT_DOOR_KINDS, problems),
    network: {
      vpcId: str("vpcId") || undefined,
      subnetId: str("subnetId") || undefined,
      vpcCidr: str("vpcCidr"),
      subnetCidr: str("subnetCidr"),
      availabilityZone: str("availabilityZone"),
      adminCidr: str("adminCidr"),
      zones: [{ availabilityZone: str("availabilityZone"), subnetCidr: str("subnetCidr") }, ...parseZones(raw.moreZones, problems)],
    },
    nodes,
    sites: parseSites(raw.sites, problems),
    vips: parseVips(raw.vips, { address: str("havip"), virtualRouterId: int("virtualRouterId") }, setKeys, problems),
    vrrp: {
      version: int("vrrpVersion") as 2 | 3,
      advertInt: seconds("advertInt", str("advertInt"), problems),
      interface: str("vrrpInterface"),
      checkInterval: int("checkInterval"),
      checkFall: int("checkFall"),
      checkRise: int("checkRise"),
      trackNginxStop: raw.trackNginxStop !== false,
      trackNginxProcess: raw.trackNginxProcess !== false,
    },
    upstream: {
      maxFails: int("upstreamMaxFails"),
      failTimeout: int("upstreamFailTimeout"),
      connectTimeoutMs: int("proxyConnectTimeoutMs"),
      keepalive: int("upstreamKeepalive"),
    },
    compute: {
      instanceType: str("instanceType"),
      imageId: str("imageId") || undefined,
      imageNameRegex: str("imageNameRegex"),
      osFamily: oneOf<OsFamily>("osFamily", str("osFamily"), ["debian", "rhel"], problems),
      systemDiskSize: int("systemDiskSize"),
      systemDiskType: oneOf<SystemDiskType>("systemDiskType", str("systemDiskType"), SYSTEM_DISK_TYPES, problems),
      nodeBandwidthOut: int("nodeBandwidthOut"),
    },
    ssh: {
      user: str("sshUser"),
      port: int("sshPort"),
      publicKey: str("sshPublicKey"),
      keyPairId: str("sshKeyPairId") || undefined,
      via: oneOf<SshVia>("sshVia", str("sshVia"), ["public", "bastion", "private"], problems),
      bastion: str("bastionHost")
        ? { host: str("bastionHost"), user: str("bastionUser"), port: int("bastionPort"), hostKey: str("bastionHostKey") }
        : undefined,
    },
    database: {
      node: str("dbNode") || (nodes[0]?.name ?? ""),
      name: str("dbName"),
      user: str("dbUser"),
      privileges: str("dbPrivileges")
        .split(",")
        .map((p) => p.trim().toUpperCase())
        .filter(Boolean),
    },
    eip: {
      bandwidthOut: int("eipBandwidthOut"),
      chargeType: oneOf("eipChargeType", str("eipChargeType"), ["TRAFFIC_POSTPAID_BY_HOUR", "BANDWIDTH_POSTPAID_BY_HOUR"], problems),
    },
    clb: {
      masterZone: str("clbMasterZone") || undefined,
      slaveZone: str("clbSlaveZone") || undefined,
      healthInterval: int("clbHealthInterval"),
      healthyThreshold: int("clbHealthyThreshold"),
      unhealthyThreshold: int("clbUnhealthyThreshold"),
      healthTimeout: CLB_HEALTH_TIMEOUT,
    },
    alerts: {
      format: oneOf<AlertFormat>("alertFormat", str("alertFormat"), ["generic", "wecom", "dingtalk", "slack"], problems),
      vipWatchSeconds: int("vipWatchSeconds"),
    },
    protected: raw.protected === true,
    allowFleetOutage: raw.allowFleetOutage === true,
    removeDeadNodes: raw.removeDeadNodes === true,
    secrets: {
      vrrpAuthPass: str("vrrpAuthPass"),
      dbPassword: str("dbPassword"),
      sshPrivateKey: str("sshPrivateKey"),
      alertWebhook: str("alertWebhook"),
    },
  };
}

/** Seconds a CLB health check may take: the API's least, so a 3 s interval (which must be longer) works. */
const CLB_HEALTH_TIMEOUT = 2;

/** A number of seconds as Pulumi.yaml's string keys hold it ("1", "0.3"); NaN, with a problem, when it is not one. */
function seconds(key: string, value: string, problems: Problems): number {
  if (/^\d+(\.\d+)?$/.test(value.trim())) return Number(value);
  problems.add(key, `must be a number of seconds; got "${value}"`, `run: pulumi config set ${key} 1 (or a fraction such as 0.3 with vrrpVersion 3)`);
  return NaN;
}

function oneOf<T extends string>(key: string, value: string, allowed: readonly T[], problems: Problems): T {
  if (!allowed.includes(value as T)) {
    problems.add(key, `"${value}" is not one of ${allowed.join(", ")}`, `run: pulumi config set ${key} ${allowed[0]}`);
  }
  return value as T;
}
