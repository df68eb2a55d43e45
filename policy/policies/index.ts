// The iam-ha policy pack's policies, one file and one exported object each, so tests/policy.test.ts
// can call them directly. `new PolicyPack(...)` lives only in ../index.ts: it starts a gRPC server
// and allows one pack per process, so it must never run inside jest.
// The order is the order the pack announces and runs them.
import { atLeastTwoNodes } from "./atLeastTwoNodes";
import { eipBoundToHavip } from "./eipBoundToHavip";
import { nodesInHavipSubnet } from "./nodesInHavipSubnet";
import { noPublicSshOrMariadb } from "./noPublicSshOrMariadb";
import { secretsAreSecret } from "./secretsAreSecret";

export const policies = [noPublicSshOrMariadb, eipBoundToHavip, secretsAreSecret, atLeastTwoNodes, nodesInHavipSubnet];
