/**
 * A small DER reader, just enough of X.509 (RFC 5280) to read a certificate's validity,
 * subject/issuer common names and DNS subject alternative names. No signature checks: this
 * serves the certificate-expiry health check, not trust decisions.
 */
import { KernelError } from "../errors.ts";

export class DerError extends KernelError {
  declare readonly code: "ERR_CERTIFICATE";
  constructor(message: string) {
    super("ERR_CERTIFICATE", `malformed certificate: ${message}`);
    this.name = "DerError";
  }
}

interface Tlv {
  tag: number;
  /** Offset of the content. */
  start: number;
  /** Offset just past the content. */
  end: number;
}

function readTlv(bytes: Uint8Array, offset: number, limit = bytes.length): Tlv {
  if (offset + 2 > limit) throw new DerError("truncated element");
  const tag = bytes[offset]!;
  if ((tag & 0x1f) === 0x1f) throw new DerError("multi-byte tags are not used in X.509");
  let length = bytes[offset + 1]!;
  let start = offset + 2;
  if (length & 0x80) {
    const count = length & 0x7f;
    if (count === 0 || count > 4 || start + count > limit) throw new DerError("bad length");
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + bytes[start + i]!;
    start += count;
  }
  const end = start + length;
  if (end > limit) throw new DerError("element longer than its container");
  return { tag, start, end };
}

function children(bytes: Uint8Array, parent: Tlv): Tlv[] {
  const out: Tlv[] = [];
  for (let offset = parent.start; offset < parent.end;) {
    const child = readTlv(bytes, offset, parent.end);
    out.push(child);
    offset = child.end;
  }
  return out;
}

const ascii = (bytes: Uint8Array, t: Tlv) => new TextDecoder().decode(bytes.subarray(t.start, t.end));

/** UTCTime (YYMMDDHHMM[SS]Z, years 1950-2049) or GeneralizedTime (YYYYMMDDHHMM[SS][.fff]Z). */
export function parseTime(bytes: Uint8Array, t: Tlv): Date {
  const text = ascii(bytes, t);
  let match: RegExpExecArray | null;
  let year: number;
  if (t.tag === 0x17 && (match = /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})?Z$/.exec(text))) {
    year = Number(match[1]);
    year += year >= 50 ? 1900 : 2000;
  } else if (t.tag === 0x18 && (match = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})?(?:\.\d+)?Z$/.exec(text))) {
    year = Number(match[1]);
  } else {
    throw new DerError(`unsupported time ${JSON.stringify(text)}`);
  }
  const [, , mo, d, h, mi, s] = match;
  return new Date(Date.UTC(year, Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s ?? 0)));
}

const OID_CN = "55 04 03";
const OID_SAN = "55 1d 11";
const hex = (bytes: Uint8Array, t: Tlv) =>
  Array.from(bytes.subarray(t.start, t.end), (b) => b.toString(16).padStart(2, "0")).join(" ");

/** The first commonName in an X.501 Name (SEQUENCE OF SET OF AttributeTypeAndValue). */
function commonName(bytes: Uint8Array, name: Tlv): string | null {
  for (const rdn of children(bytes, name)) {
    for (const attribute of children(bytes, rdn)) {
      const [type, value] = children(bytes, attribute);
      if (type && value && type.tag === 0x06 && hex(bytes, type) === OID_CN) return ascii(bytes, value);
    }
  }
  return null;
}

export interface CertificateInfo {
  notBefore: Date;
  notAfter: Date;
  subjectCN: string | null;
  issuerCN: string | null;
  /** dNSName entries of subjectAltName. */
  dnsNames: string[];
}

export function parseCertificate(der: Uint8Array): CertificateInfo {
  const certificate = readTlv(der, 0);
  if (certificate.tag !== 0x30) throw new DerError("not a SEQUENCE");
  const tbs = children(der, certificate)[0];
  if (!tbs || tbs.tag !== 0x30) throw new DerError("no tbsCertificate");
  const fields = children(der, tbs);
  let i = fields[0]?.tag === 0xa0 ? 1 : 0; // [0] EXPLICIT version
  i += 2; // serialNumber, signature AlgorithmIdentifier
  const issuer = fields[i++];
  const validity = fields[i++];
  const subject = fields[i++];
  i++; // subjectPublicKeyInfo
  if (!issuer || !validity || !subject || validity.tag !== 0x30) throw new DerError("missing issuer/validity/subject");
  const [notBefore, notAfter] = children(der, validity);
  if (!notBefore || !notAfter) throw new DerError("incomplete validity");
  const dnsNames: string[] = [];
  for (const field of fields.slice(i)) {
    if (field.tag !== 0xa3) continue; // [3] EXPLICIT extensions
    const list = children(der, field)[0];
    if (!list) continue;
    for (const extension of children(der, list)) {
      const parts = children(der, extension);
      const oid = parts[0];
      const value = parts.at(-1);
      if (!oid || !value || hex(der, oid) !== OID_SAN || value.tag !== 0x04) continue;
      const names = readTlv(der, value.start, value.end);
      for (const general of children(der, names)) if (general.tag === 0x82) dnsNames.push(ascii(der, general));
    }
  }
  return {
    notBefore: parseTime(der, notBefore),
    notAfter: parseTime(der, notAfter),
    subjectCN: commonName(der, subject),
    issuerCN: commonName(der, issuer),
    dnsNames,
  };
}

/** Whether `host` is covered by the certificate's DNS names (one leading `*.` label allowed), or its CN when it has none. */
export function certificateCovers(info: CertificateInfo, host: string): boolean {
  const names = info.dnsNames.length ? info.dnsNames : info.subjectCN ? [info.subjectCN] : [];
  const target = host.toLowerCase().replace(/\.$/, "");
  return names.some((raw) => {
    const name = raw.toLowerCase();
    if (name.startsWith("*.")) {
      const rest = target.slice(target.indexOf(".") + 1);
      return target.includes(".") && rest === name.slice(2);
    }
    return name === target;
  });
}
