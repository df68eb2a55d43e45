/** The lab host layer: real Linux hosts (systemd-nspawn) on an isolated network on this machine. */
export type { LabNode, LabTopology } from "./topology";
export { labUp, labDown, preflight } from "./lab";
export type { LabUpOptions, LabUpResult } from "./lab";
export { sshExec, privateKey, publicKey, ensureSshKey, sshOptions } from "./ssh";
export { execInClient, execInLabNs, clientIp, edgeOf, validateTopology, checkHostCollisions, netUp, netDown } from "./network";
export { ensureRootfs, ROOTFS_INCLUDE } from "./rootfs";
export { ensureRepo, LAB_PACKAGES } from "./repo";
export { prepareNode, startNode, stopNode, waitForSsh, waitForBoot, removeNode } from "./containers";
export { settings, configureLab, paths, names } from "./paths";
export { run, runOk, LabError } from "./exec";
export type { RunResult, RunOptions } from "./exec";
