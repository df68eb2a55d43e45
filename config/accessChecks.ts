import { isIpv4 } from "./ipv4";
import { checkRange, Problems } from "./problems";
import { asJavaScriptSyntax, re2Unsupported } from "./re2";
import { parsePublicKeyLine } from "./sshKeys";
import { IamHaConfig } from "./types";

/** useradd's portable user name (shadow-utils' default NAME_REGEX, 32 characters at most): nothing a shell or ssh reads as syntax. */
const POSIX_USER = /^[a-z_][a-z0-9_-]{0,31}$/;
/** A DNS name of letters, digits and dashes; never starts with "-", so ssh cannot read it as an option. */
const DNS_NAME = /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
/** The id CVM gives an imported key pair, e.g. skey-4e5ty7i8 (ImportKeyPair's KeyId, https://cloud.tencent.com/document/api/213/15703). */
const KEY_PAIR_ID = /^skey-[a-z0-9]{8}$/;
const MIN_RSA_BITS = 2048;
const RSA_FIX =
  "make an RSA key with ssh-keygen -t rsa -b 4096 -f ~/.ssh/iam-ha, then set sshPublicKey from ~/.ssh/iam-ha.pub and sshPrivateKey from ~/.ssh/iam-ha";
const HOST_KEY_FIX = "on the bastion, print its host key (cat /etc/ssh/ssh_host_ed25519_key.pub) and run: pulumi config set bastionHostKey '<that line>'";

/** How Pulumi reaches the nodes (keys, users, the bastion) and what the nodes are made of. */
export function checkAccess(c: IamHaConfig, problems: Problems): void {
  checkKeys(c, problems);
  checkSshRoute(c, problems);
  checkCompute(c, problems);
}

function checkKeys(c: IamHaConfig, problems: Problems): void {
  const { ssh, secrets } = c;
  // CVM's ImportKeyPair takes "密钥对的公钥内容，OpenSSH RSA 格式" (https://cloud.tencent.com/document/api/213/15703).
  const key = parsePublicKeyLine(ssh.publicKey);
  if (!key) {
    problems.add("sshPublicKey", "is not an OpenSSH public key", "paste the one line of your key's .pub file");
  } else if (key.type !== "ssh-rsa") {
    problems.add("sshPublicKey", `is an ${key.type} key; Tencent Cloud's ImportKeyPair takes only OpenSSH RSA keys`, RSA_FIX);
  } else if ((key.rsaBits ?? 0) < MIN_RSA_BITS) {
    problems.add("sshPublicKey", `is a ${key.rsaBits}-bit RSA key; under ${MIN_RSA_BITS} bits RSA is too weak (NIST SP 800-131A)`, RSA_FIX);
  }
  if (ssh.keyPairId !== undefined && !KEY_PAIR_ID.test(ssh.keyPairId)) {
    problems.add(
      "sshKeyPairId",
      `"${ssh.keyPairId}" is not a key pair id`,
      "use the id of a key pair already in the account, like skey-4e5ty7i8 (CVM console, SSH keys), or leave it empty to import sshPublicKey",
    );
  }
  if (!/^-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(secrets.sshPrivateKey.trim())) {
    problems.add("sshPrivateKey", "is not a PEM or OpenSSH private key", "run: pulumi config set --secret sshPrivateKey < ~/.ssh/<key>");
  }
}

/**
 * Users and the bastion's address end up in ssh command lines (the verifier's `ssh -J
 * user@host:port`, which OpenSSH runs through a shell): only names that no shell or ssh parses.
 */
function checkSshRoute(c: IamHaConfig, problems: Problems): void {
  const { ssh, compute } = c;
  checkUser("sshUser", ssh.user, "ubuntu", problems);
  checkRange("sshPort", ssh.port, 1, 65535, problems);
  if (ssh.via === "public" && compute.nodeBandwidthOut < 1) {
    problems.add("nodeBandwidthOut", "is 0, so nodes get no public IP, but sshVia is public", "give nodes bandwidth (e.g. 1) or use sshVia bastion or private");
  }
  const { bastion } = ssh;
  if (!bastion) {
    if (ssh.via === "bastion") problems.add("bastionHost", "is empty but sshVia is bastion", "set the bastion's address, or another sshVia");
    return;
  }
  if (!isIpv4(bastion.host) && (!DNS_NAME.test(bastion.host) || /^[\d.]+$/.test(bastion.host))) {
    problems.add("bastionHost", `"${bastion.host}" is not an IPv4 address or a DNS name`, "set the bastion's address, e.g. 203.0.113.5 or bastion.example.com");
  }
  checkUser("bastionUser", bastion.user, "root", problems);
  checkRange("bastionPort", bastion.port, 1, 65535, problems);
  if (bastion.hostKey) {
    if (!parsePublicKeyLine(bastion.hostKey)) problems.add("bastionHostKey", "is not an OpenSSH public key line", HOST_KEY_FIX);
  } else if (ssh.via === "bastion") {
    problems.add("bastionHostKey", "is empty but sshVia is bastion, and every connection pins the bastion's host key", HOST_KEY_FIX);
  }
}

function checkUser(key: string, user: string, example: string, problems: Problems): void {
  if (!POSIX_USER.test(user)) {
    problems.add(key, `"${user}" is not a POSIX user name`, `use 1-32 lowercase letters, digits, _ or -, starting with a letter or _, e.g. ${example}`);
  }
}

function checkCompute(c: IamHaConfig, problems: Problems): void {
  const { compute } = c;
  checkRange("systemDiskSize", compute.systemDiskSize, 20, 16000, problems);
  checkRange("eipBandwidthOut", c.eip.bandwidthOut, 1, 1000, problems);
  if (compute.imageId) return;
  const pattern = compute.imageNameRegex;
  const unsupported = re2Unsupported(pattern);
  if (unsupported) {
    problems.add(
      "imageNameRegex",
      `"${pattern}" uses ${unsupported}, which Go's RE2 (the provider's regexp) cannot run`,
      "write it in RE2 syntax (https://github.com/google/re2/wiki/Syntax): no lookaround, backreferences, atomic groups, possessive quantifiers or JavaScript-only escapes; or set imageId",
    );
    return;
  }
  try {
    new RegExp(asJavaScriptSyntax(pattern));
  } catch {
    problems.add("imageNameRegex", `"${pattern}" is not a regular expression`, "fix the pattern or set imageId");
  }
}
